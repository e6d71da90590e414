/// A cheap proof that a series cannot pass the `growth_floor` check, whatever
/// regime the segmentation would choose: what lets a window report skip the
/// change-point search and the Theil–Sen fits of a component that cannot leak.
///
/// The regime is always a suffix of the analysed points (envelope troughs or
/// samples), and its growth is its Theil–Sen slope β times its span s. If
/// β·s ≥ F (the floor), at least ⌈N/2⌉ of its N pair slopes are ≥ F/s; a pair
/// whose values differ by at most R (the range of the whole series) has that
/// slope only when its times are at most δ = R·s/F apart. So a suffix where
/// fewer than ⌈N/2⌉ pairs lie within δ of each other has β·s < F — for evenly
/// spaced points that holds whenever R < 0.29·F (the share of pairs within a
/// fraction f of the span is 2f − f²). The screen checks every suffix, so it
/// is a proof, not a heuristic: a screened series would have been rejected
/// by `growth_floor` (or an earlier check) by the full analysis too.
package enum FloorScreen {
    /// The range of `values` when no suffix of (`times`, `values`) — times
    /// increasing, in ms — has a Theil–Sen slope × span of `floor` or more;
    /// nil when that cannot be shown so cheaply.
    static package func rangeBelowFloor(times: [Double], values: [Double], floor: Double) -> Double? {
        let n = times.count
        guard floor > 0, n == values.count, n >= 1 else { return nil }
        guard n >= 2 else { return 0 }
        var lowest = values[0], highest = values[0]
        for v in values {
            lowest = min(lowest, v)
            highest = max(highest, v)
        }
        let range = highest - lowest
        guard range < floor else { return nil }
        if range == 0 { return 0 }
        var minStep = Double.infinity, maxStep = 0.0
        for i in 1..<n {
            let step = times[i] - times[i - 1]
            minStep = min(minStep, step)
            maxStep = max(maxStep, step)
        }
        // Equal times make pairs Theil–Sen leaves out: not worth a proof.
        guard minStep > 0 else { return nil }
        // A little slack for the rounding of slope × span in the analysis.
        let ratio = range / floor * (1 + 1e-9)
        // Lags: a pair k points apart is at least k·minStep apart, and a
        // suffix of m points spans at most (m − 1)·maxStep.
        let spread = maxStep / minStep
        var evenlyEnough = true
        for m in 2...n {
            let pairs = m * (m - 1) / 2
            let needed = (pairs + 1) / 2
            let lag = Double(m - 1) * spread * ratio
            let d = lag >= Double(m - 1) ? m - 1 : Int(lag)
            let within = d * m - d * (d + 1) / 2
            if within >= needed {
                evenlyEnough = false
                break
            }
        }
        if evenlyEnough { return range }
        // Uneven times (troughs with a missed fall): count each suffix's close pairs exactly.
        for a in 0..<(n - 1) {
            let m = n - a
            let needed = (m * (m - 1) / 2 + 1) / 2
            let delta = (times[n - 1] - times[a]) * ratio
            var within = 0
            var j = a
            for i in a..<(n - 1) {
                if j < i { j = i }
                while j + 1 < n && times[j + 1] - times[i] <= delta { j += 1 }
                within += j - i
            }
            if within >= needed { return nil }
        }
        return range
    }
}
