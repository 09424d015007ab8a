package model

import "sort"

func sortInts(list []int, less func(a, b int) bool) {
	sort.SliceStable(list, func(x, y int) bool { return less(list[x], list[y]) })
}
