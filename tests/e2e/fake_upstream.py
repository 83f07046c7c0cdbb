"""A tiny DNS server on loopback for tests: the "internet" cluster DNS forwards to.

It answers A queries for the names in RECORDS and NXDOMAIN for everything else, and counts
the queries it saw (so a test can tell forwarding and caching apart).
"""
import socket
import struct
import threading

RECORDS = {"example.test": "192.0.2.99", "db.example.test": "192.0.2.98"}


def _name(data, at):
    labels = []
    while data[at]:
        n = data[at]
        labels.append(data[at + 1:at + 1 + n].decode())
        at += 1 + n
    return ".".join(labels), at + 1


class FakeUpstream:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(2048)
            except OSError:
                return
            qid, flags, qd = struct.unpack(">HHH", data[:6])
            name, end = _name(data, 12)
            qtype = struct.unpack(">H", data[end:end + 2])[0]
            self.queries.append((name.lower(), qtype))
            question = data[12:end + 4]
            ip = RECORDS.get(name.lower())
            if ip and qtype == 1:
                answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
                reply = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + answer
            elif ip:
                reply = struct.pack(">HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question
            else:
                reply = struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
            self.sock.sendto(reply, peer)

    def close(self):
        self.sock.close()
