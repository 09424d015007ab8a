// Package browsertest opens the HTML pages weekplan writes (rosters, the
// administrator's report) in headless Chromium, for tests: it reports console
// errors, uncaught exceptions and failed resource loads, prints pages to PDF
// on a given paper size and takes screenshots.
//
// It speaks the Chrome DevTools Protocol over --remote-debugging-pipe (file
// descriptors 3 and 4, NUL-terminated JSON messages), so it needs nothing but
// the standard library and the browser. Chromium's command line alone cannot
// do the job: --enable-logging prints console.log and console.error alike,
// says nothing of a missing image, and --print-to-pdf has no paper size.
//
// Every wait is bounded: a browser that hangs fails the test after
// CallTimeout, and the whole browser is killed after SessionTimeout.
package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint is what a test says when it finds no browser.
const InstallHint = "install it with: apt-get install -y chromium"

const (
	// CallTimeout bounds one protocol call, page load included.
	CallTimeout = 30 * time.Second
	// SessionTimeout bounds a browser's whole life; it is killed after it.
	SessionTimeout = 5 * time.Minute
)

// Path finds the Chromium binary: $CHROMIUM, else /usr/bin/chromium, else
// chromium or chromium-browser on PATH.
func Path() (string, error) {
	return findChromium(os.Getenv("CHROMIUM"), "/usr/bin/chromium")
}

func findChromium(env, system string) (string, error) {
	if env != "" {
		if _, err := os.Stat(env); err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w; unset it to use the system's Chromium, or %s", env, err, InstallHint)
		}
		return env, nil
	}
	if _, err := os.Stat(system); err == nil {
		return system, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found ($CHROMIUM, %s, chromium or chromium-browser on PATH); %s", system, InstallHint)
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	in     io.WriteCloser // the browser's fd 3: our commands
	stderr *tailBuffer
	done   chan struct{} // closed when the reader stops (browser gone)

	mu       sync.Mutex
	writeMu  sync.Mutex
	nextID   int
	calls    map[int]chan message
	sessions map[string]*Page
	readErr  error
}

// message is one protocol message: a reply (ID set) or an event (Method set).
type message struct {
	ID        int             `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start launches headless Chromium for the test, with a fresh profile in the
// test's temporary directory, and stops it when the test ends. A missing
// browser fails the test with how to install it.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	b, err := launch(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	return b
}

func launch(path, profile string) (*Browser, error) {
	ctx, cancel := context.WithTimeout(context.Background(), SessionTimeout)
	cmd := exec.CommandContext(ctx, path,
		"--headless=new",
		"--no-sandbox", // needed as root, harmless otherwise: the pages are our own
		"--disable-gpu",
		"--user-data-dir="+profile,
		"--remote-debugging-pipe",
		"--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-sync", "--disable-background-networking",
		"--disable-component-update", "--disable-default-apps",
		"--mute-audio", "--hide-scrollbars",
		"about:blank",
	)
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	// Renderers may hold stderr open after the browser exits; do not wait on them.
	cmd.WaitDelay = 2 * time.Second
	cmdIn, in, err := os.Pipe() // we write in; the browser reads cmdIn as fd 3
	if err != nil {
		cancel()
		return nil, err
	}
	out, cmdOut, err := os.Pipe() // the browser writes cmdOut as fd 4; we read out
	if err != nil {
		cancel()
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{cmdIn, cmdOut}
	b := &Browser{
		cmd: cmd, cancel: cancel, in: in, stderr: &tailBuffer{max: 16 << 10},
		done: make(chan struct{}), calls: map[int]chan message{}, sessions: map[string]*Page{},
	}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	cmdIn.Close()
	cmdOut.Close()
	go b.read(out)
	// The first call proves the browser answers.
	if _, err := b.call("", "Browser.getVersion", nil); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// read delivers replies to their callers and events to their pages until the
// browser closes its end of the pipe.
func (b *Browser) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var raw []byte
		raw, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			err = fmt.Errorf("browser sent a message that is not JSON: %w", err)
			break
		}
		b.mu.Lock()
		if m.ID != 0 {
			if c, ok := b.calls[m.ID]; ok {
				delete(b.calls, m.ID)
				c <- m
			}
		} else if p, ok := b.sessions[m.SessionID]; ok {
			p.event(m)
		}
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.readErr = err
	b.mu.Unlock()
	close(b.done)
}

// call sends a command (to a page's session, or to the browser when session
// is "") and waits for its result.
func (b *Browser) call(session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	reply := make(chan message, 1)
	b.calls[id] = reply
	b.mu.Unlock()
	msg, err := json.Marshal(struct {
		ID        int    `json:"id"`
		SessionID string `json:"sessionId,omitempty"`
		Method    string `json:"method"`
		Params    any    `json:"params,omitempty"`
	}{id, session, method, params})
	if err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	_, err = b.in.Write(append(msg, 0))
	b.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: writing to the browser: %w%s", method, err, b.lastWords())
	}
	timer := time.NewTimer(CallTimeout)
	defer timer.Stop()
	select {
	case m := <-reply:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (code %d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: the browser went away: %v%s", method, b.readErr, b.lastWords())
	case <-timer.C:
		return nil, fmt.Errorf("%s: no answer from the browser in %v%s", method, CallTimeout, b.lastWords())
	}
}

// lastWords is the end of the browser's stderr, for an error message.
func (b *Browser) lastWords() string {
	s := strings.TrimSpace(b.stderr.String())
	if s == "" {
		return ""
	}
	return "\nchromium stderr (end):\n" + s
}

// close asks the browser to quit, waits a few seconds for it, then kills
// whatever is left of its process group.
func (b *Browser) close() {
	b.writeMu.Lock()
	_, _ = b.in.Write([]byte(`{"id":999999999,"method":"Browser.close"}` + "\x00"))
	b.in.Close()
	b.writeMu.Unlock()
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
	// Renderers that outlive the browser would write into the profile
	// while the test removes it.
	_ = killProcessGroup(b.cmd)
	<-exited
	b.cancel()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Chromium's D-Bus complaints in a container say nothing about the page.
	var keep []string
	for _, line := range strings.Split(string(t.buf), "\n") {
		if !strings.Contains(line, "dbus") {
			keep = append(keep, line)
		}
	}
	lines := keep
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.TrimSpace([]byte(strings.Join(lines, "\n"))))
}
