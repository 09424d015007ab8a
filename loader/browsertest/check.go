package browsertest

import (
	"bytes"
	"fmt"
	"image/png"
	"regexp"
	"strconv"
)

var (
	pageObject = regexp.MustCompile(`/Type\s*/Page\b`)
	pageCount  = regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`)
)

// PDFPages counts the pages of a PDF that Chromium printed: its page objects,
// which must agree with the page tree's /Count (Chromium writes both
// uncompressed; a disagreement means the format changed and is an error).
func PDFPages(pdf []byte) (int, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return 0, fmt.Errorf("not a PDF (starts %q)", pdf[:min(len(pdf), 8)])
	}
	objects := len(pageObject.FindAll(pdf, -1))
	total := 0 // the root of the page tree has the largest count
	for _, m := range pageCount.FindAllSubmatch(pdf, -1) {
		s := m[1]
		if len(s) == 0 {
			s = m[2]
		}
		n, err := strconv.Atoi(string(s))
		if err != nil {
			return 0, fmt.Errorf("page tree count %q: %v", s, err)
		}
		total = max(total, n)
	}
	if objects == 0 || objects != total {
		return 0, fmt.Errorf("PDF has %d page objects but its page tree counts %d", objects, total)
	}
	return objects, nil
}

// PNGInfo describes a screenshot.
type PNGInfo struct {
	Width, Height int
	Colours       int     // distinct colours
	Ink           float64 // share of pixels that differ from the top-left (background) pixel
}

// ReadPNG decodes a PNG and measures it.
func ReadPNG(data []byte) (PNGInfo, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return PNGInfo{}, fmt.Errorf("not a valid PNG: %w", err)
	}
	r := img.Bounds()
	info := PNGInfo{Width: r.Dx(), Height: r.Dy()}
	if r.Empty() {
		return info, nil
	}
	colours := map[[4]uint32]bool{}
	key := func(x, y int) [4]uint32 {
		c0, c1, c2, c3 := img.At(x, y).RGBA()
		return [4]uint32{c0, c1, c2, c3}
	}
	background := key(r.Min.X, r.Min.Y)
	ink := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := key(x, y)
			colours[c] = true
			if c != background {
				ink++
			}
		}
	}
	info.Colours = len(colours)
	info.Ink = float64(ink) / float64(r.Dx()*r.Dy())
	return info, nil
}

// CheckScreenshot says what is wrong with a screenshot that should be a
// width×height picture of a rendered page: not a PNG, the wrong size, or
// blank (fewer than 16 colours, which anti-aliased text and table rules
// always exceed, or less than 1% of pixels off the background).
func CheckScreenshot(data []byte, width, height int) (PNGInfo, error) {
	info, err := ReadPNG(data)
	if err != nil {
		return info, err
	}
	if info.Width != width || info.Height != height {
		return info, fmt.Errorf("screenshot is %d×%d, want %d×%d", info.Width, info.Height, width, height)
	}
	if info.Colours < 16 || info.Ink < 0.01 {
		return info, fmt.Errorf("screenshot looks blank: %d colours, %.2f%% of pixels off the background", info.Colours, 100*info.Ink)
	}
	return info, nil
}
