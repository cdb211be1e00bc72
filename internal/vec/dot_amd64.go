//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

var useSIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var kernelName = map[bool]string{true: "avx2+fma", false: "go"}[useSIMD]

//go:noescape
func kernelAVX2(r0, r1, r2 *float32, v *float64, n int, a *acc)

//go:noescape
func sumAVX2(a *float32, n int) float32

func kernel(r0, r1, r2 []float32, v []float64, a *acc) {
	if useSIMD {
		kernelAVX2(&r0[0], &r1[0], &r2[0], &v[0], len(r0), a)
		return
	}
	kernelGo(r0, r1, r2, v, a)
}

func sum(a []float32) float32 {
	if useSIMD {
		return sumAVX2(&a[0], len(a))
	}
	return sumGo(a)
}
