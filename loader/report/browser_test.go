package report_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/loader/browsertest"
	"github.com/weekplan/weekplan/loader/report"
)

// pageMarginMM is the @page margin of templates/style.css.
const pageMarginMM = 12

// TestReportInBrowser renders the demo school's report (fixtures.Demo solved
// at low effort) in headless Chromium: the page and every plot load with no
// console error or failed load, every plot renders, every link leads
// somewhere, nothing overflows its box on screen or on Letter or A4 paper,
// every plot fits a printed page, the printed page count is what the print
// layout's height allows, and a screenshot shows the page.
func TestReportInBrowser(t *testing.T) {
	inst, sched := browsertest.DemoWeek(t)
	dir := t.TempDir()
	files, err := report.Write(dir, inst, sched, report.ReportInfo{Version: 1, State: "draft"})
	if err != nil {
		t.Fatal(err)
	}
	// One tab for every page: a new tab costs a renderer's start.
	p := browsertest.Start(t).Open(t, "about:blank", 1280, 900)

	t.Run("plots", func(t *testing.T) {
		plots := 0
		for _, f := range files {
			if !strings.HasSuffix(f, ".svg") {
				continue
			}
			plots++
			p.Navigate(t, browsertest.FileURL(t, f))
			p.CheckClean(t, dir)
			var root struct {
				Tag          string
				ParserErrors int
				Width        float64
			}
			p.Eval(t, `({tag: document.documentElement.tagName, parserErrors: document.getElementsByTagName("parsererror").length,
				width: document.documentElement.getBoundingClientRect().width})`, &root)
			if root.Tag != "svg" || root.ParserErrors > 0 || root.Width <= 0 {
				t.Errorf("%s: root <%s>, %d parser errors, %.0f pixels wide: not a rendered SVG", filepath.Base(f), root.Tag, root.ParserErrors, root.Width)
			}
		}
		if plots == 0 {
			t.Fatalf("report.Write wrote no plot: %v", files)
		}
	})

	p.Navigate(t, browsertest.FileURL(t, filepath.Join(dir, report.IndexFile)))
	t.Run("page", func(t *testing.T) {
		p.CheckClean(t, dir)
		var images int
		p.Eval(t, `document.images.length`, &images)
		if want := len(files) - 1; images != want {
			t.Errorf("the page shows %d images, want the %d plots written", images, want)
		}
		for _, o := range p.Overflowing(t) {
			t.Errorf("on a 1280-pixel screen: %s", o)
		}
	})

	for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
		t.Run("printed on "+paper.Name, func(t *testing.T) {
			pages, err := browsertest.PDFPages(p.PDF(t, paper))
			if err != nil {
				t.Fatal(err)
			}
			p.EmulatePrint(t, paper.PrintWidth(pageMarginMM))
			defer p.EmulateScreen(t, 1280, 900)
			for _, o := range p.Overflowing(t) {
				t.Errorf("%s: %s", paper.Name, o)
			}
			var layout struct {
				Height  float64   // the whole page
				Figures []float64 // each figure
				Whole   float64   // the tallest element printed whole (figure, tr, dl.kpi) with a heading kept before it
			}
			p.Eval(t, `(() => {
				const h = el => el.getBoundingClientRect().height;
				const tallest = sel => Math.max(0, ...Array.from(document.querySelectorAll(sel), h));
				return {height: h(document.documentElement),
					figures: Array.from(document.querySelectorAll("figure"), h),
					whole: tallest("figure, tr, dl.kpi") + tallest("h2") + tallest("h3")};
			})()`, &layout)
			pageHeight := paper.PrintHeight(pageMarginMM)
			for k, h := range layout.Figures {
				if h > pageHeight {
					t.Errorf("%s: figure %d is %.0f pixels high, taller than a page (%.0f)", paper.Name, k+1, h, pageHeight)
				}
			}
			// At least the pages the content fills; at most as many as it
			// fills when each page loses, to a break before an element
			// printed whole, no more than the tallest such element.
			least := int(math.Ceil(layout.Height / pageHeight))
			most := int(math.Ceil(layout.Height / (pageHeight - layout.Whole)))
			if pages < least || pages > most {
				t.Errorf("%s: %d pages for a layout %.0f pixels high on pages of %.0f: want %d to %d",
					paper.Name, pages, layout.Height, pageHeight, least, most)
			}
			t.Logf("%s: %d pages (%d to %d)", paper.Name, pages, least, most)
		})
	}

	t.Run("screenshot", func(t *testing.T) {
		shot := p.Screenshot(t, 1280, 900)
		info, err := browsertest.CheckScreenshot(shot, 1280, 900)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "report.png")
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d colours, %.1f%% ink", out, info.Colours, 100*info.Ink)
	})
}
