package heuristic

import "sort"

func sortItems[T any](list []T, less func(a, b T) bool) {
	sort.Slice(list, func(x, y int) bool { return less(list[x], list[y]) })
}
