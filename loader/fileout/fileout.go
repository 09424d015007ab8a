// Package fileout writes output files atomically: a reader sees the old file
// or the whole new one, never half of it. A path that is not a regular file
// — /dev/null, /dev/stdout, a named pipe — is written into, not replaced.
package fileout

import (
	"io"
	"os"
	"path/filepath"
)

// Write renders into a temporary file beside path, gives it mode perm, and
// renames it into place. On any error the temporary file is removed and path
// is left as it was. If path exists and is not a regular file (a device or a
// named pipe), Write renders into it directly: renaming over it would replace
// the device with a plain file.
func Write(path string, perm os.FileMode, render func(w io.Writer) error) (err error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return writeInto(path, render)
	}
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

// writeInto renders into the existing non-regular file path.
func writeInto(path string, render func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := render(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
