package heuristic

import "sort"

func sortItems[T any](list []T, less func(a, b T) bool) {
	sort.Slice(list, func(x, y int) bool { return less(list[x], list[y]) })
}

// grow returns xs resized to n, reallocating when it is too short; the
// contents are not cleared.
func grow[T any](xs []T, n int) []T {
	if cap(xs) < n {
		return make([]T, n)
	}
	return xs[:n]
}
