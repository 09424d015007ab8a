package pgcluster

import (
	"context"
	"path/filepath"
)

// Restart restarts the cluster with a fast shutdown (pg_ctl restart -m fast),
// as an operator's restart or a failover does: every session is ended
// (clients see 57P01 admin_shutdown, then refused connections until the
// server is back), open transactions are rolled back, and the server comes
// back on the same port with the options it was started with. It returns
// once the server accepts connections again.
func (c *Cluster) Restart(ctx context.Context) error {
	return c.exec(ctx, "pg_ctl", "restart", "-w", "-m", "fast", "-D", c.Dir, "-l", filepath.Join(c.Dir, "server.log"))
}
