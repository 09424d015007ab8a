// Package fileout writes output files atomically: a reader sees the old file
// or the whole new one, never half of it.
package fileout

import (
	"io"
	"os"
	"path/filepath"
)

// Write renders into a temporary file beside path, gives it mode perm, and
// renames it into place. On any error the temporary file is removed and path
// is left as it was.
func Write(path string, perm os.FileMode, render func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := render(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
