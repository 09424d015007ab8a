package browsertest_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/loader/browsertest"
)

// TestBrowser starts one browser and checks what the roster and report tests
// rely on.
func TestBrowser(t *testing.T) {
	b := browsertest.Start(t)
	t.Run("problems are reported", func(t *testing.T) { problemsAreReported(t, b) })
	t.Run("a missing page is an error", func(t *testing.T) {
		missing := browsertest.FileURL(t, filepath.Join(t.TempDir(), "nope.html"))
		if _, err := b.Load(missing, 400, 300); err == nil || !strings.Contains(err.Error(), "nope.html") || !strings.Contains(err.Error(), "ERR_FILE_NOT_FOUND") {
			t.Errorf("loading a missing page: got %v, want an error naming it", err)
		}
	})
	t.Run("pdf and screenshot", func(t *testing.T) { pdfAndScreenshot(t, b) })
}

// problemsAreReported opens a page that does everything the roster and
// report tests must catch, and checks that each is reported: a console error
// and warning, an uncaught exception, a missing image, a missing style sheet.
// A console.log is not a problem.
func problemsAreReported(t *testing.T, b *browsertest.Browser) {
	page := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bad</title>
<link rel="stylesheet" href="missing.css"></head>
<body><h1 id="top">Bad page</h1><img src="missing.svg" alt="gone"> <img src="good.svg" alt="fine">
<a href="#top">top</a> <a href="#nowhere">nowhere</a> <a href="good.svg">good</a> <a href="gone.csv">gone</a>
<a href="https://example.org/">away</a> <a href="../elsewhere.html">elsewhere</a>
<script>console.log("all-quiet"); console.error("boom-error"); console.warn("boom-warning"); undefinedFunction();</script>
</body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(page), "good.svg"),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := b.Open(t, browsertest.FileURL(t, page), 800, 600)
	problems := strings.Join(p.Problems(), "\n")
	for _, want := range []string{"console.error: boom-error", "console.warning: boom-warning", "undefinedFunction", "missing.svg", "missing.css"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems do not mention %q:\n%s", want, problems)
		}
	}
	if strings.Contains(problems, "all-quiet") {
		t.Errorf("console.log reported as a problem:\n%s", problems)
	}

	var images int
	p.Eval(t, `document.images.length`, &images)
	if broken := p.BrokenImages(t); images != 2 || len(broken) != 1 || !strings.HasSuffix(broken[0], "/missing.svg") {
		t.Errorf("broken images of 2: %v, want missing.svg alone", broken)
	}
	links := strings.Join(p.BrokenLinks(t, filepath.Dir(page)), "\n")
	for _, want := range []string{`#nowhere: no element of the page has id "nowhere"`, "gone.csv: stat", "https://example.org/: not a local file", "elsewhere.html: outside"} {
		if !strings.Contains(links, want) {
			t.Errorf("broken links do not mention %q:\n%s", want, links)
		}
	}
	if n := strings.Count(links, "\n") + 1; n != 4 {
		t.Errorf("%d broken links, want 4:\n%s", n, links)
	}

	rec := &recorder{TB: t}
	p.CheckClean(rec, filepath.Dir(page))
	all := strings.Join(rec.errors, "\n")
	for _, want := range []string{"console.error: boom-error", "image file://", "broken link", "gone.csv"} {
		if !strings.Contains(all, want) {
			t.Errorf("CheckClean does not report %q:\n%s", want, all)
		}
	}

	// The same tab on a clean page: the bad page's problems are forgotten.
	p.Navigate(t, browsertest.FileURL(t, filepath.Join(filepath.Dir(page), "good.svg")))
	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("after navigating to a clean page: %v", problems)
	}
	var tag string
	p.Eval(t, `document.documentElement.tagName`, &tag)
	if tag != "svg" {
		t.Errorf("after navigating to good.svg the document is <%s>", tag)
	}
}

// recorder is a test that keeps its errors instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// pdfAndScreenshot prints a page of known length and screenshots it.
func pdfAndScreenshot(t *testing.T, b *browsertest.Browser) {
	page := filepath.Join(t.TempDir(), "three.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>three pages</title>
<style>section { break-after: page; } body { font: 14pt sans-serif; }</style></head>
<body><section><h1>One</h1><p>First page, with some text in it.</p></section>
<section><h1>Two</h1></section><section><h1>Three</h1></section></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := b.Open(t, browsertest.FileURL(t, page), 800, 600)
	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("a clean page has problems: %v", problems)
	}
	for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
		n, err := browsertest.PDFPages(p.PDF(t, paper))
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("%s: %d pages, want 3", paper.Name, n)
		}
	}
	png := p.Screenshot(t, 640, 360)
	if _, err := browsertest.CheckScreenshot(png, 640, 360); err != nil {
		t.Error(err)
	}
	if _, err := browsertest.CheckScreenshot(png, 641, 360); err == nil || !strings.Contains(err.Error(), "want 641×360") {
		t.Errorf("a screenshot of the wrong size: got %v", err)
	}
}

func TestPDFPagesRejects(t *testing.T) {
	for name, data := range map[string]string{
		"not a PDF":        "<html>",
		"no pages":         "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj",
		"count disagrees":  "%PDF-1.4\n2 0 obj << /Type /Pages /Count 2 /Kids [3 0 R] >> endobj 3 0 obj << /Type /Page >> endobj",
		"count, no object": "%PDF-1.4\n2 0 obj << /Type /Pages /Count 1 >> endobj",
	} {
		if n, err := browsertest.PDFPages([]byte(data)); err == nil {
			t.Errorf("%s: %d pages, want an error", name, n)
		}
	}
	n, err := browsertest.PDFPages([]byte("%PDF-1.4\n2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj 3 0 obj << /Type /Page >> endobj 4 0 obj << /Parent 2 0 R /Type /Page >> endobj"))
	if err != nil || n != 2 {
		t.Errorf("two pages: got %d, %v", n, err)
	}
}

func TestCheckScreenshotRejects(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 100, 50))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, blank); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.CheckScreenshot(buf.Bytes(), 100, 50); err == nil || !strings.Contains(err.Error(), "blank") {
		t.Errorf("a white picture: got %v, want blank", err)
	}
	// One dark stripe: enough ink but two colours.
	for x := 0; x < 100; x++ {
		for y := 0; y < 5; y++ {
			blank.Set(x, y+20, color.Black)
		}
	}
	buf.Reset()
	if err := png.Encode(&buf, blank); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.CheckScreenshot(buf.Bytes(), 100, 50); err == nil || !strings.Contains(err.Error(), "2 colours") {
		t.Errorf("a two-colour picture: got %v, want blank", err)
	}
	if _, err := browsertest.CheckScreenshot([]byte("GIF89a"), 1, 1); err == nil || !strings.Contains(err.Error(), "not a valid PNG") {
		t.Errorf("not a PNG: got %v", err)
	}
}
