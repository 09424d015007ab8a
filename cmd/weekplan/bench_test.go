package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestTimePerStudentSVG: the plot is well-formed SVG with one point per
// generated school, labelled with its size and its ms per student, and the
// public instances are left out.
func TestTimePerStudentSVG(t *testing.T) {
	rows := []benchRow{
		{name: "tiny-30-seed101", students: 30, seconds: 2},
		{name: "gen-1000-seed1", students: 1000, seconds: 5},
		{name: "gen-5000-seed1", students: 5000, seconds: 12.5},
	}
	svg := string(timePerStudentSVG(rows))
	dec := xml.NewDecoder(strings.NewReader(svg))
	circles := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v\n%s", err, svg)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "circle" {
			circles++
		}
	}
	if circles != 2 {
		t.Errorf("%d points plotted, want 2 (the generated schools only)", circles)
	}
	for _, want := range []string{">1000<", ">5000<", ">5.00<", ">2.50<", "<path d=\"M"} {
		if !strings.Contains(svg, want) {
			t.Errorf("plot lacks %q", want)
		}
	}
}

// TestSpliceReportKeepsHandMeasurements: bench replaces only the marked part.
func TestSpliceReportKeepsHandMeasurements(t *testing.T) {
	old := "# Benchmarks\n\nintro\n\n" + benchBegin + "old figures\n" + benchEnd + "\n## District scale\nkept\n"
	got := string(spliceReport([]byte(old), []byte("new figures\n")))
	for _, want := range []string{"intro", "new figures", "## District scale\nkept"} {
		if !strings.Contains(got, want) {
			t.Errorf("spliced report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old figures") {
		t.Errorf("old figures kept:\n%s", got)
	}
}
