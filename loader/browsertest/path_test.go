package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindChromium finds the browser in the documented order and, with none,
// says how to install it.
func TestFindChromium(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	noSystem := filepath.Join(t.TempDir(), "chromium")

	if _, err := findChromium("", noSystem); err == nil || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("no browser anywhere: got %v, want the install hint", err)
	}

	onPath := filepath.Join(bin, "chromium-browser")
	if err := os.WriteFile(onPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findChromium("", noSystem); err != nil || got != onPath {
		t.Errorf("chromium-browser on PATH: got %q, %v", got, err)
	}

	system := filepath.Join(t.TempDir(), "chromium")
	if err := os.WriteFile(system, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findChromium("", system); err != nil || got != system {
		t.Errorf("the system's browser before PATH: got %q, %v", got, err)
	}
	if got, err := findChromium(onPath, system); err != nil || got != onPath {
		t.Errorf("$CHROMIUM before the system's: got %q, %v", got, err)
	}
	if _, err := findChromium(noSystem, system); err == nil || !strings.Contains(err.Error(), "CHROMIUM="+noSystem) || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("$CHROMIUM naming a missing file: got %v", err)
	}
}
