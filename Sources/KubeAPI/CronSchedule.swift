import Foundation

/// A CronJob's `schedule` in standard cron syntax (minute hour day-of-month month
/// day-of-week, with ranges, lists, steps, month and weekday names, and the `@hourly`-style
/// macros), and the times it names in a time zone.
public struct CronSchedule: Sendable, Equatable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    /// Day-of-month and day-of-week both restricted: either may match (cron's rule).
    let eitherDay: Bool

    static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init?(_ text: String) {
        let expanded = Self.macros[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let fields = expanded.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5,
            let minutes = Self.field(fields[0], 0...59),
            let hours = Self.field(fields[1], 0...23),
            let days = Self.field(fields[2], 1...31),
            let months = Self.field(fields[3], 1...12, names: Self.monthNames, firstName: 1),
            var weekdays = Self.field(fields[4], 0...7, names: Self.dayNames, firstName: 0)
        else { return nil }
        if weekdays.contains(7) {
            weekdays.remove(7)
            weekdays.insert(0)
        }
        self.minutes = minutes
        self.hours = hours
        self.days = days
        self.months = months
        self.weekdays = weekdays
        eitherDay = !Self.isWildcard(fields[2]) && !Self.isWildcard(fields[4])
    }

    static func isWildcard(_ f: String) -> Bool { f == "*" || f == "?" }

    static func field(_ text: String, _ range: ClosedRange<Int>, names: [String] = [], firstName: Int = 0) -> Set<Int>?
    {
        func value(_ s: Substring) -> Int? {
            if let n = Int(s) { return range.contains(n) ? n : nil }
            if let i = names.firstIndex(of: s.uppercased()) { return i + firstName }
            return nil
        }
        var out: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { return nil }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { return nil }
                step = s
            }
            let lower: Int, upper: Int
            if pieces[0] == "*" || pieces[0] == "?" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let a = value(pieces[0][..<dash]), let b = value(pieces[0][pieces[0].index(after: dash)...]),
                    a <= b
                else { return nil }
                (lower, upper) = (a, b)
            } else {
                guard let a = value(pieces[0]) else { return nil }
                (lower, upper) = (a, pieces.count == 2 ? range.upperBound : a)
            }
            out.formUnion(stride(from: lower, through: upper, by: step))
        }
        return out.isEmpty ? nil : out
    }

    public static func timeZone(_ name: String) -> TimeZone? {
        name.isEmpty ? nil : TimeZone(identifier: name)
    }

    /// The first scheduled minute strictly after `date`, in `zone`; nil if none within
    /// five years (`0 0 30 2 *`).
    public func next(after date: Date, in zone: TimeZone = TimeZone(identifier: "UTC") ?? .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var t = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let limit = date.addingTimeInterval(5 * 366 * 86400)
        while t < limit {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute,
                let weekday = c.weekday
            else { return nil }
            if !months.contains(month) {
                guard let start = calendar.date(from: DateComponents(year: c.year, month: month, day: 1)),
                    let nextMonth = calendar.date(byAdding: .month, value: 1, to: start)
                else { return nil }
                t = nextMonth
                continue
            }
            let dayOK =
                eitherDay
                ? days.contains(day) || weekdays.contains(weekday - 1)
                : days.contains(day) && weekdays.contains(weekday - 1)
            if !dayOK {
                guard let start = calendar.date(from: DateComponents(year: c.year, month: month, day: day)),
                    let nextDay = calendar.date(byAdding: .day, value: 1, to: start)
                else { return nil }
                t = nextDay
                continue
            }
            if !hours.contains(hour) {
                guard
                    let start = calendar.date(from: DateComponents(year: c.year, month: month, day: day, hour: hour)),
                    let nextHour = calendar.date(byAdding: .hour, value: 1, to: start)
                else { return nil }
                t = nextHour
                continue
            }
            if !minutes.contains(minute) {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }
}
