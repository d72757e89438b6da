import Foundation

/// Small, dependency-free SVG charts for run reports: line charts and an alert timeline.
enum SVGChart {
    static let width = 720.0, height = 300.0, left = 60.0, right = 20.0, top = 30.0, bottom = 40.0
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 100 { return String(format: "%.0f", value) }
        if abs(value) >= 1 { return String(format: "%.2g", value) }
        return String(format: "%.2g", value)
    }

    /// A line chart of `series` (name, points); `marks` draws labelled vertical lines at x values.
    static func lines(title: String, xLabel: String, yLabel: String, series: [(String, [(Double, Double)])],
                      marks: [(Double, String)] = [], logX: Bool = false) -> String {
        let points = series.flatMap { $0.1 }
        let xs = points.map { logX ? log10(max($0.0, 1e-9)) : $0.0 } + marks.map { logX ? log10(max($0.0, 1e-9)) : $0.0 }
        let minX = xs.min() ?? 0, maxX = max((xs.max() ?? 1), minX + 1e-9)
        let maxY = max(points.map(\.1).max() ?? 1, 1e-9) * 1.05
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + ((logX ? log10(max(x, 1e-9)) : x) - minX) / (maxX - minX) * plotW }
        func py(_ y: Double) -> Double { top + plotH - y / maxY * plotH }
        var svg = header(title)
        svg += axes(xLabel: xLabel, yLabel: yLabel)
        for i in 0...4 {
            let y = maxY * Double(i) / 4
            svg += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\" font-size=\"10\">\(number(y))</text>\n"
            let xv = minX + (maxX - minX) * Double(i) / 4
            let label = logX ? number(pow(10, xv)) : number(xv)
            svg += "<text x=\"\(left + plotW * Double(i) / 4)\" y=\"\(top + plotH + 14)\" text-anchor=\"middle\" font-size=\"10\">\(label)</text>\n"
        }
        for (x, label) in marks {
            svg += "<line x1=\"\(px(x))\" y1=\"\(top)\" x2=\"\(px(x))\" y2=\"\(top + plotH)\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
            svg += "<text x=\"\(px(x) + 3)\" y=\"\(top + 10)\" font-size=\"10\" fill=\"#555\">\(escape(label))</text>\n"
        }
        for (index, (name, line)) in series.enumerated() where !line.isEmpty {
            let color = palette[index % palette.count]
            let path = line.map { "\(String(format: "%.1f", px($0.0))),\(String(format: "%.1f", py($0.1)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            svg += "<text x=\"\(width - right - 4)\" y=\"\(top + 14 + Double(index) * 13)\" text-anchor=\"end\" font-size=\"11\" fill=\"\(color)\">\(escape(name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// One row per (alert, instance), a bar where it fired.
    static func timeline(title: String, spans: [(alert: String, instance: String, from: Double, to: Double)], end: Double,
                         marks: [(Double, String)]) -> String {
        let rows = Array(Set(spans.map { "\($0.alert) \($0.instance)" })).sorted()
        let rowHeight = 16.0
        let chartHeight = max(80, top + bottom + Double(rows.count) * rowHeight)
        let labelWidth = 300.0, plotW = width - labelWidth - right
        func px(_ x: Double) -> Double { labelWidth + x / max(end, 1) * plotW }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(chartHeight)\" font-family=\"sans-serif\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"\(width / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        if rows.isEmpty {
            svg += "<text x=\"\(width / 2)\" y=\"50\" text-anchor=\"middle\" font-size=\"12\">no alert fired</text>\n"
        }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 11)\" text-anchor=\"end\" font-size=\"10\">\(escape(row))</text>\n"
            for span in spans where "\(span.alert) \(span.instance)" == row {
                let color = span.alert.contains("High") || span.alert.contains("Isolated") || span.alert.contains("Pressure")
                    || span.alert.contains("TargetDown") || span.alert.contains("Partition") ? "#d62728" : "#ff7f0e"
                svg += "<rect x=\"\(px(span.from))\" y=\"\(y + 2)\" width=\"\(max(2, px(span.to) - px(span.from)))\" height=\"\(rowHeight - 4)\" fill=\"\(color)\"/>\n"
            }
        }
        let axisY = top + Double(rows.count) * rowHeight + 4
        for i in 0...4 {
            let t = end * Double(i) / 4
            svg += "<text x=\"\(px(t))\" y=\"\(axisY + 12)\" text-anchor=\"middle\" font-size=\"10\">\(number(t / 60)) min</text>\n"
        }
        for (x, label) in marks {
            svg += "<line x1=\"\(px(x))\" y1=\"\(top)\" x2=\"\(px(x))\" y2=\"\(axisY)\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
            svg += "<text x=\"\(px(x) + 2)\" y=\"\(axisY + 24)\" font-size=\"9\" fill=\"#555\">\(escape(label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func header(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(width / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
    }

    private static func axes(xLabel: String, yLabel: String) -> String {
        let plotH = height - top - bottom
        return "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - right)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
            + "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
            + "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"11\">\(escape(xLabel))</text>\n"
            + "<text x=\"14\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 14 \(top + plotH / 2))\">\(escape(yLabel))</text>\n"
    }
}
