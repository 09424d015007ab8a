package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
)

// The plots are written by hand as SVG: horizontal bar charts and one heat
// map, with a fixed layout and a colour-blind-safe palette (Paul Tol's
// "bright" scheme), so that the same data gives byte-identical files.

// seriesColor is the colour of the k-th series of a chart.
func seriesColor(k int) string {
	palette := [...]string{"#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"}
	return palette[k%len(palette)]
}

// Layout of a bar chart, in pixels.
const (
	chartWidth  = 760
	labelWidth  = 190
	rightPad    = 60
	rowHeight   = 22
	barHeight   = 14
	titleHeight = 28
	axisHeight  = 26
	legendRow   = 20
)

// hbarRow is one row of a horizontal bar chart: stacked non-negative segments
// (one per series), or a single segment that may be negative; and an optional
// marker, a target drawn as a tick (required minutes, a session limit).
type hbarRow struct {
	Label    string
	Segments []float64
	Marker   *float64
}

// hbarChart is a horizontal bar chart.
type hbarChart struct {
	Title       string
	Unit        string   // shown on the axis
	Series      []string // segment names, for the legend
	MarkerLabel string   // what the marker means, for the legend; "" when no row has one
	Rows        []hbarRow
}

// svg renders the chart.
func (c *hbarChart) svg() []byte {
	lo, hi := 0.0, 0.0
	for _, r := range c.Rows {
		sum := 0.0
		for _, v := range r.Segments {
			if v < 0 {
				lo = math.Min(lo, v)
			} else {
				sum += v
			}
		}
		hi = math.Max(hi, sum)
		if r.Marker != nil {
			hi = math.Max(hi, *r.Marker)
		}
	}
	ticks := niceTicks(lo, hi)
	lo, hi = ticks[0], ticks[len(ticks)-1]
	plotW := float64(chartWidth - labelWidth - rightPad)
	x := func(v float64) float64 { return labelWidth + (v-lo)/(hi-lo)*plotW }

	legend := len(c.Series) > 1 || c.MarkerLabel != ""
	height := titleHeight + len(c.Rows)*rowHeight + axisHeight
	if legend {
		height += legendRow
	}
	if len(c.Rows) == 0 {
		height += rowHeight
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" font-family="system-ui, Helvetica, Arial, sans-serif" font-size="11">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(c.Title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="13" font-weight="600">%s</text>`+"\n", esc(c.Title))
	top := titleHeight
	if len(c.Rows) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-style="italic">nothing to plot</text>`+"\n", labelWidth, top+15)
		top += rowHeight
	}
	// Grid lines and the axis.
	bottom := top + len(c.Rows)*rowHeight
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#ddd"/>`+"\n", num(x(t)), top, num(x(t)), bottom)
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle" fill="#444">%s</text>`+"\n", num(x(t)), bottom+14, num(t))
	}
	if lo < 0 {
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#444"/>`+"\n", num(x(0)), top, num(x(0)), bottom)
	}
	if c.Unit != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#444">%s</text>`+"\n", labelWidth-6, bottom+14, esc(c.Unit))
	}
	for i, r := range c.Rows {
		y := top + i*rowHeight
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelWidth-6, y+rowHeight/2+4, esc(truncate(r.Label, 30)))
		by := y + (rowHeight-barHeight)/2
		at := 0.0
		total := 0.0
		for k, v := range r.Segments {
			var x0, x1 float64
			if v < 0 {
				x0, x1 = x(v), x(0)
			} else {
				x0, x1 = x(at), x(at+v)
				at += v
			}
			total += v
			if x1-x0 <= 0 {
				continue
			}
			name := ""
			if k < len(c.Series) {
				name = c.Series[k] + ": "
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%d" width="%s" height="%d" fill="%s"><title>%s%s</title></rect>`+"\n",
				num(x0), by, num(x1-x0), barHeight, seriesColor(k), esc(name), num(v))
		}
		if r.Marker != nil {
			mx := x(*r.Marker)
			fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#111" stroke-width="2"><title>%s: %s</title></line>`+"\n",
				num(mx), by-3, num(mx), by+barHeight+3, esc(c.MarkerLabel), num(*r.Marker))
		}
		label := num(total)
		lx := x(math.Max(at, 0)) + 4
		if total < 0 {
			lx = x(0) + 4
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d" fill="#222">%s</text>`+"\n", num(lx), y+rowHeight/2+4, label)
	}
	if legend {
		lx := float64(labelWidth)
		ly := bottom + axisHeight + 4
		for k, s := range c.Series {
			fmt.Fprintf(&b, `<rect x="%s" y="%d" width="10" height="10" fill="%s"/>`+"\n", num(lx), ly, seriesColor(k))
			fmt.Fprintf(&b, `<text x="%s" y="%d">%s</text>`+"\n", num(lx+14), ly+9, esc(s))
			lx += 24 + 6.5*float64(len(s))
		}
		if c.MarkerLabel != "" {
			fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#111" stroke-width="2"/>`+"\n", num(lx+5), ly-1, num(lx+5), ly+11)
			fmt.Fprintf(&b, `<text x="%s" y="%d">%s</text>`+"\n", num(lx+12), ly+9, esc(c.MarkerLabel))
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// heatCell is one cell of a heat map: a ratio in [0,1] (above 1 is drawn as
// full), its text, and whether the cell is blocked (drawn hatched).
type heatCell struct {
	Ratio   float64
	Text    string
	Tip     string
	Blocked bool
}

// heatMap is a grid of cells: rows by columns.
type heatMap struct {
	Title   string
	Columns []string
	Rows    []string
	Cells   [][]heatCell // [row][column]
	Note    string       // a line under the grid
}

// svg renders the heat map, shading cells from white (0) to dark blue (1).
func (h *heatMap) svg() []byte {
	const left, cellH = 120, 22
	cellW := 34
	if n := len(h.Columns); n > 0 && left+n*cellW > chartWidth*2 {
		cellW = (chartWidth*2 - left) / n
	}
	width := left + len(h.Columns)*cellW + 10
	height := titleHeight + 40 + len(h.Rows)*cellH + 24
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" font-family="system-ui, Helvetica, Arial, sans-serif" font-size="10">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(h.Title))
	b.WriteString(`<defs><pattern id="blocked" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>` + "\n")
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="13" font-weight="600">%s</text>`+"\n", esc(h.Title))
	top := titleHeight + 40
	for j, col := range h.Columns {
		cx := left + j*cellW + cellW/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(-60 %d %d)" fill="#444">%s</text>`+"\n", cx, top-4, cx, top-4, esc(truncate(col, 10)))
	}
	for i, row := range h.Rows {
		y := top + i*cellH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+cellH/2+4, esc(truncate(row, 18)))
		for j := range h.Columns {
			c := h.Cells[i][j]
			x := left + j*cellW
			fill := "url(#blocked)"
			textFill := "#111"
			if !c.Blocked {
				fill = shade(c.Ratio)
				if c.Ratio > 0.55 {
					textFill = "#fff"
				}
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"><title>%s</title></rect>`+"\n", x, y, cellW, cellH, fill, esc(c.Tip))
			if c.Text != "" {
				fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`+"\n", x+cellW/2, y+cellH/2+4, textFill, esc(c.Text))
			}
		}
	}
	if h.Note != "" {
		fmt.Fprintf(&b, `<text x="0" y="%d" fill="#444">%s</text>`+"\n", top+len(h.Rows)*cellH+16, esc(h.Note))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// shade maps a ratio in [0,1] to a colour from white to #1f4e8c.
func shade(r float64) string {
	r = math.Max(0, math.Min(1, r))
	mix := func(from, to int) int { return from + int(math.Round(r*float64(to-from))) }
	return fmt.Sprintf("#%02x%02x%02x", mix(0xff, 0x1f), mix(0xff, 0x4e), mix(0xff, 0x8c))
}

// niceTicks returns evenly spaced round tick values covering [lo, hi], at
// most about six of them; [0, 1] when the range is empty.
func niceTicks(lo, hi float64) []float64 {
	if hi-lo <= 0 {
		if hi == 0 && lo == 0 {
			return []float64{0, 1}
		}
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for v := start; ; v += step {
		out = append(out, cleanZero(v))
		if v >= hi-1e-9*step {
			break
		}
	}
	return out
}

func cleanZero(v float64) float64 {
	if math.Abs(v) < 1e-12 {
		return 0
	}
	return v
}

// num formats a coordinate or value compactly and deterministically.
func num(v float64) string {
	v = cleanZero(math.Round(v*100) / 100)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// esc escapes text for an SVG document.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer does not fail
	return b.String()
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
