package pgcluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithTLSNeedsCertAndKey: half a TLS configuration is refused before
// anything is created. cmd/weekplan's TestTLSVerifyFull starts a TLS cluster.
func TestWithTLSNeedsCertAndKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, opt := range []Option{WithTLS("server.crt", ""), WithTLS("", "server.key")} {
		_, err := Start(context.Background(), dir, opt)
		if err == nil || !strings.Contains(err.Error(), "both a certificate and a key") {
			t.Errorf("got %v, want an error asking for both files", err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created: %v", err)
	}
}

func TestHBATLSOnlyRefusesPlainTCP(t *testing.T) {
	for _, line := range strings.Split(hbaTLSOnly, "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "host" || f[0] == "hostnossl") {
			t.Errorf("pg_hba.conf line %q accepts unencrypted TCP", line)
		}
	}
	if !strings.Contains(hbaTLSOnly, "hostssl") {
		t.Error("no hostssl line")
	}
}
