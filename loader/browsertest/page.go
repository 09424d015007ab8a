package browsertest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Page is a browser tab with a page loaded in it.
type Page struct {
	b       *Browser
	session string
	target  string
	URL     string // the page loaded last, by Open or Navigate

	mu      sync.Mutex
	events  []message     // every event of the tab
	start   int           // the first event of the page loaded last
	changed chan struct{} // closed and replaced on every event
}

// FileURL is the file:// URL of a local file.
func FileURL(t testing.TB, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// Open loads url in a new tab of viewport width×height CSS pixels and waits
// for its load event (images included); a page that cannot be loaded fails
// the test. Console messages, exceptions and network failures from then on
// are kept for Problems.
func (b *Browser) Open(t testing.TB, url string, width, height int) *Page {
	t.Helper()
	p, err := b.Load(url, width, height)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Load is Open returning its error; the caller closes the page.
func (b *Browser) Load(url string, width, height int) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.callInto("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.callInto("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: attached.SessionID, target: target.TargetID, URL: url, changed: make(chan struct{})}
	b.mu.Lock()
	b.sessions[p.session] = p
	b.mu.Unlock()
	if err := p.load(url, width, height); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Page) load(url string, width, height int) error {
	b := p.b
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		if err := b.callInto(p.session, domain+".enable", nil, nil); err != nil {
			return err
		}
	}
	if err := p.setViewport(width, height); err != nil {
		return err
	}
	return p.navigate(url)
}

// Navigate loads url in the page's tab, as Open does in a new one; Problems
// then reports what happens from this load on.
func (p *Page) Navigate(t testing.TB, url string) {
	t.Helper()
	if err := p.navigate(url); err != nil {
		t.Fatal(err)
	}
}

func (p *Page) navigate(url string) error {
	p.URL = url
	p.mu.Lock()
	from := len(p.events)
	p.start = from
	p.mu.Unlock()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.b.callInto(p.session, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("opening %s: %s", url, nav.ErrorText)
	}
	if _, err := p.waitEvent("Page.loadEventFired", from); err != nil {
		return fmt.Errorf("opening %s: %w", url, err)
	}
	return nil
}

// Close closes the page's tab.
func (p *Page) Close() {
	_ = p.b.callInto("", "Target.closeTarget", map[string]any{"targetId": p.target}, nil)
	p.b.mu.Lock()
	delete(p.b.sessions, p.session)
	p.b.mu.Unlock()
}

// callInto calls a method and decodes its result into out (when not nil).
func (b *Browser) callInto(session, method string, params, out any) error {
	res, err := b.call(session, method, params)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			return fmt.Errorf("%s: decoding the result: %w", method, err)
		}
	}
	return nil
}

// must is callInto failing the test on an error.
func (b *Browser) must(t testing.TB, session, method string, params, out any) {
	t.Helper()
	if err := b.callInto(session, method, params, out); err != nil {
		t.Fatal(err)
	}
}

func (p *Page) setViewport(width, height int) error {
	return p.b.callInto(p.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil)
}

// event records an event of the page; the reader calls it.
func (p *Page) event(m message) {
	p.mu.Lock()
	p.events = append(p.events, m)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// waitEvent waits for an event named method among the events from index from on.
func (p *Page) waitEvent(method string, from int) (message, error) {
	deadline := time.NewTimer(CallTimeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for _, m := range p.events[from:] {
			if m.Method == method {
				p.mu.Unlock()
				return m, nil
			}
		}
		from = len(p.events)
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.b.done:
			return message{}, fmt.Errorf("waiting for %s: the browser went away%s", method, p.b.lastWords())
		case <-deadline.C:
			return message{}, fmt.Errorf("no %s in %v", method, CallTimeout)
		}
	}
}

// Problems lists what went wrong on the page since it was loaded: uncaught
// exceptions, console errors and warnings, browser log errors and warnings
// (a resource that failed to load, a blocked one, a deprecation) and network
// requests that failed or got an HTTP error status. A clean page has none.
func (p *Page) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	urls := map[string]string{} // request id → URL
	for _, m := range p.events[p.start:] {
		switch m.Method {
		case "Runtime.exceptionThrown":
			var ev struct {
				Details struct {
					Text      string `json:"text"`
					URL       string `json:"url"`
					Line      int    `json:"lineNumber"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			d := ev.Details
			out = append(out, fmt.Sprintf("uncaught exception at %s:%d: %s %s", d.URL, d.Line+1, d.Text, d.Exception.Description))
		case "Runtime.consoleAPICalled":
			var ev struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			if ev.Type != "error" && ev.Type != "warning" && ev.Type != "assert" {
				continue
			}
			var args []string
			for _, a := range ev.Args {
				if a.Value != nil {
					args = append(args, fmt.Sprint(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			out = append(out, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		case "Log.entryAdded":
			var ev struct {
				Entry struct {
					Source, Level, Text, URL string
				} `json:"entry"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			if e := ev.Entry; e.Level == "error" || e.Level == "warning" {
				out = append(out, fmt.Sprintf("browser log (%s %s): %s %s", e.Source, e.Level, e.Text, e.URL))
			}
		case "Network.requestWillBeSent":
			var ev struct {
				RequestID string `json:"requestId"`
				Request   struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			urls[ev.RequestID] = ev.Request.URL
		case "Network.loadingFailed":
			var ev struct {
				RequestID     string `json:"requestId"`
				ErrorText     string `json:"errorText"`
				BlockedReason string `json:"blockedReason"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			out = append(out, fmt.Sprintf("failed to load %s: %s %s", urls[ev.RequestID], ev.ErrorText, ev.BlockedReason))
		case "Network.responseReceived":
			var ev struct {
				Response struct {
					URL    string `json:"url"`
					Status int    `json:"status"`
				} `json:"response"`
			}
			_ = json.Unmarshal(m.Params, &ev)
			if ev.Response.Status >= 400 {
				out = append(out, fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL))
			}
		}
	}
	return out
}

// Eval evaluates a JavaScript expression in the page (awaiting it if it is a
// promise) and decodes its value, as JSON, into out.
func (p *Page) Eval(t testing.TB, expr string, out any) {
	t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	p.b.must(t, p.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &res)
	if res.Exception != nil {
		t.Fatalf("evaluating %q: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		t.Fatalf("evaluating %q: decoding %s: %v", expr, res.Result.Value, err)
	}
}

// Paper is a paper size in inches.
type Paper struct {
	Name          string
	Width, Height float64
}

// The paper sizes a school prints rosters on.
var (
	Letter = Paper{"Letter", 8.5, 11}
	A4     = Paper{"A4", 210 / 25.4, 297 / 25.4}
)

// PDF prints the page as the browser's print dialog would on paper, with no
// header or footer and no background graphics (the dialog's defaults) and the
// page's own @page margins, and returns the PDF.
func (p *Page) PDF(t testing.TB, paper Paper) []byte {
	t.Helper()
	var res struct {
		Data []byte `json:"data"` // base64 in the protocol
	}
	p.b.must(t, p.session, "Page.printToPDF", map[string]any{
		"paperWidth": paper.Width, "paperHeight": paper.Height,
		"displayHeaderFooter": false, "printBackground": false, "preferCSSPageSize": false,
	}, &res)
	return res.Data
}

// Screenshot brings the page to the front (a background tab draws nothing),
// resizes the viewport to width×height CSS pixels (at one device pixel each)
// and returns a PNG of it.
func (p *Page) Screenshot(t testing.TB, width, height int) []byte {
	t.Helper()
	p.b.must(t, p.session, "Page.bringToFront", nil, nil)
	if err := p.setViewport(width, height); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Data []byte `json:"data"`
	}
	p.b.must(t, p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &res)
	return res.Data
}

// PrintHeight is the height, in CSS pixels, of the printable area of paper
// inside page margins of marginMM millimetres on each side.
func (paper Paper) PrintHeight(marginMM float64) float64 {
	return paper.Height*96 - 2*marginMM*96/25.4
}

// PrintWidth is the width, in CSS pixels, of the printable area of paper
// inside page margins of marginMM millimetres on each side.
func (paper Paper) PrintWidth(marginMM float64) int {
	return int(paper.Width*96 - 2*marginMM*96/25.4)
}

// EmulatePrint lays the page out as it prints: print media, and a viewport
// as wide as the printable area (see Paper.PrintWidth). Screenshots and Eval
// then see the print layout, as one long page, until EmulateScreen.
func (p *Page) EmulatePrint(t testing.TB, width int) {
	t.Helper()
	p.b.must(t, p.session, "Emulation.setEmulatedMedia", map[string]any{"media": "print"}, nil)
	if err := p.setViewport(width, 1000); err != nil {
		t.Fatal(err)
	}
}

// EmulateScreen lays the page out on a screen of width×height CSS pixels.
func (p *Page) EmulateScreen(t testing.TB, width, height int) {
	t.Helper()
	p.b.must(t, p.session, "Emulation.setEmulatedMedia", map[string]any{"media": ""}, nil)
	if err := p.setViewport(width, height); err != nil {
		t.Fatal(err)
	}
}

// Overflowing lists the elements whose content is wider than their box in
// the current layout (text running out of a table cell, a table wider than
// the page), each with its width and its box's, innermost first.
func (p *Page) Overflowing(t testing.TB) []string {
	t.Helper()
	var out []string
	p.Eval(t, `(() => {
		const out = [];
		const all = [document.documentElement, ...document.body.querySelectorAll("*")].reverse();
		for (const el of all) {
			if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
				const text = (el.innerText || "").replace(/\s+/g, " ").trim().slice(0, 60);
				out.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
					" \"" + text + "\": content " + el.scrollWidth + "px wide in a " + el.clientWidth + "px box");
			}
		}
		return out;
	})()`, &out)
	return out
}

// BrokenImages lists the images of the page that did not load or decode.
func (p *Page) BrokenImages(t testing.TB) []string {
	t.Helper()
	var broken []string
	p.Eval(t, `Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)`, &broken)
	return broken
}

// BrokenLinks lists the links of the page that lead nowhere: to something
// other than a local file, to a file that is not in dir or does not exist,
// or to a fragment of this page that no element has as its id.
func (p *Page) BrokenLinks(t testing.TB, dir string) []string {
	t.Helper()
	var links []struct {
		Href, Protocol, Path, Hash string
		SamePage, HasTarget        bool
	}
	p.Eval(t, `Array.from(document.links, a => {
		const u = new URL(a.href);
		const hash = decodeURIComponent(u.hash.slice(1));
		return {href: a.href, protocol: u.protocol, path: decodeURIComponent(u.pathname), hash,
			samePage: u.protocol === location.protocol && u.pathname === location.pathname,
			hasTarget: hash !== "" && document.getElementById(hash) !== null};
	})`, &links)
	var broken []string
	for _, l := range links {
		switch {
		case l.Protocol != "file:":
			broken = append(broken, l.Href+": not a local file")
		case l.SamePage && !l.HasTarget:
			broken = append(broken, l.Href+": no element of the page has id "+strconv.Quote(l.Hash))
		case l.SamePage:
		case filepath.Dir(filepath.FromSlash(l.Path)) != filepath.Clean(dir):
			broken = append(broken, l.Href+": outside "+dir)
		default:
			if _, err := os.Stat(filepath.FromSlash(l.Path)); err != nil {
				broken = append(broken, l.Href+": "+err.Error())
			}
		}
	}
	return broken
}

// CheckClean fails the test for every problem the browser saw on the page
// (see Problems), for an image that did not render and for a link that leads
// nowhere (see BrokenLinks).
func (p *Page) CheckClean(t testing.TB, dir string) {
	t.Helper()
	for _, problem := range p.Problems() {
		t.Errorf("%s: %s", p.URL, problem)
	}
	for _, src := range p.BrokenImages(t) {
		t.Errorf("%s: image %s did not render", p.URL, src)
	}
	for _, link := range p.BrokenLinks(t, dir) {
		t.Errorf("%s: broken link %s", p.URL, link)
	}
}
