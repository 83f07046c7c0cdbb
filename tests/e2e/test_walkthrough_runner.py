"""The walkthrough runner's own rules (parsing and comparison), without a cluster."""
import walkthrough


def test_parse_commands_outputs_heredocs_and_varies():
    doc = "\n".join([
        "text", "```console", "$ echo one", "one", "$ cat <<EOF", "a: 1", "EOF", "a: 1", "```",
        "```console varies", "$ date", "Fri", "```"])
    blocks = walkthrough.parse(doc)
    assert [len(cmds) for _, cmds in blocks] == [2, 1]
    first, heredoc = blocks[0][1]
    assert first.text == "echo one" and first.expected == ["one"] and first.check
    assert heredoc.text == "cat <<EOF\na: 1\nEOF" and heredoc.expected == ["a: 1"]
    assert not blocks[1][1][0].check


def test_masking_hides_what_changes_between_runs_and_nothing_else():
    m = lambda s: walkthrough.masked(s, False)
    # Generated names, pod and cluster IPs, ephemeral and node ports, ages, spacing, order.
    assert m("kiada-t2vc48cpdf-fr94x   1/1  Running  0  1s  10.244.1.2  node-1\nquiz-abcde 3") == \
        m("quiz-zzzzz 3\nkiada-gmfbjknzn6-l79h7 1/1 Running 0 2m3s 10.244.3.9 node-1")
    assert m("kiada LoadBalancer 10.103.176.63 172.30.0.128 8080:30610/TCP 0s") == \
        m("kiada LoadBalancer 10.99.1.2 172.30.0.128 8080:31999/TCP 5s")
    assert m("10.244.1.1:56910") == m("10.244.2.1:27192")
    # What the walkthrough claims still differs.
    assert m("3") != m("4")
    assert m("172.30.0.128") != m("172.30.0.129")
    assert m("node-1") != m("node-2")
    assert m("10.96.0.10") != m("10.97.0.10")
    assert m("ready=false serving=true terminating=true") != m("ready=true serving=true terminating=false")
    assert m('Waiting for deployment "kiada" rollout to finish: 1 of 3\ndone') == m("done")
