//go:build !amd64 || purego

package vec

const kernelName = "go"

func kernel(r0, r1, r2 []float32, v []float64, a *acc) { kernelGo(r0, r1, r2, v, a) }

func sum(a []float32) float32 { return sumGo(a) }
