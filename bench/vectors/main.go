// Command vectors measures vector_project's kernel (internal/vec) over
// N×d float32 rows and K direction vectors on every core, next to the
// machine's memory-read roof measured in the same run: a streaming read of
// the same rows (a sum, SIMD) at the same parallelism.
//
//	go run ./bench/vectors                  # 200,000×1024 and 50,000×4096, K=8
//	go run ./bench/vectors -n 1000 -d 3 -k 1
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/dsbuild/dsbuild/internal/vec"
)

func main() {
	n := flag.Int("n", 0, "rows (0: the two standard shapes)")
	d := flag.Int("d", 1024, "dimension")
	k := flag.Int("k", 8, "direction vectors")
	batch := flag.Int("batch", 8192, "rows per batch (the op's unit of parallelism)")
	reps := flag.Int("reps", 5, "repetitions (best is reported)")
	flag.Parse()
	shapes := [][2]int{{200_000, 1024}, {50_000, 4096}}
	if *n > 0 {
		shapes = [][2]int{{*n, *d}}
	}
	fmt.Printf("kernel %s, GOMAXPROCS %d, K %d, batch %d rows, best of %d\n", vec.Kernel(), runtime.GOMAXPROCS(0), *k, *batch, *reps)
	fmt.Printf("%-14s %10s %10s %10s %12s %8s %16s\n", "shape", "time", "GFLOP/s", "GB/s", "roof GB/s", "of roof", "GFLOP/CPU-second")
	for _, sh := range shapes {
		run(sh[0], sh[1], *k, *batch, *reps)
	}
}

func run(n, d, k, batch, reps int) {
	r := rand.New(rand.NewPCG(1, uint64(d)))
	rows := make([]float32, n*d)
	for i := range rows {
		rows[i] = float32(r.NormFloat64())
	}
	vecs := make([][]float32, k)
	names := make([]string, k)
	for i := range vecs {
		vecs[i] = make([]float32, d)
		for j := range vecs[i] {
			vecs[i][j] = float32(r.NormFloat64())
		}
		names[i] = fmt.Sprint("v", i)
	}
	p, err := vec.NewProjector(vecs, names, nil, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := make([][]float32, k)
	for i := range out {
		out[i] = make([]float32, n)
	}
	workers := runtime.GOMAXPROCS(0)
	var cpuP []time.Duration
	project := func() time.Duration {
		c0 := cpuTime()
		defer func() { cpuP = append(cpuP, cpuTime()-c0) }()
		return parallel(n, batch, workers, func(lo, hi int, s *vec.Scratch) {
			o := make([][]float32, k)
			for i := range o {
				o[i] = out[i][lo:hi]
			}
			p.Rows(rows[lo*d:hi*d], hi-lo, nil, o, s)
		})
	}
	sink := make([]float32, workers*64)
	roof := func() time.Duration {
		return parallel(n, batch, workers, func(lo, hi int, s *vec.Scratch) {
			sink[(lo/batch)%workers*64] += vec.Sum(rows[lo*d : hi*d])
		})
	}
	var tp, tr []time.Duration
	for range reps {
		tr = append(tr, roof())
		tp = append(tp, project())
	}
	best := func(x []time.Duration) time.Duration {
		sort.Slice(x, func(i, j int) bool { return x[i] < x[j] })
		return x[0]
	}
	bp, br, bc := best(tp), best(tr), best(cpuP)
	bytes := float64(n) * float64(d) * 4
	flops := 2 * float64(n) * float64(d) * float64(k)
	gbs := bytes / bp.Seconds() / 1e9
	roofGBs := bytes / br.Seconds() / 1e9
	fmt.Printf("%-14s %10s %10.1f %10.1f %12.1f %7.0f%% %16.1f\n", fmt.Sprintf("%d×%d", n, d), bp.Round(time.Microsecond),
		flops/bp.Seconds()/1e9, gbs, roofGBs, 100*gbs/roofGBs, flops/bc.Seconds()/1e9)
}

// parallel runs fn over [0,n) in batches on workers goroutines.
func parallel(n, batch, workers int, fn func(lo, hi int, s *vec.Scratch)) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s vec.Scratch
			for lo := range next {
				fn(lo, min(lo+batch, n), &s)
			}
		}()
	}
	for lo := 0; lo < n; lo += batch {
		next <- lo
	}
	close(next)
	wg.Wait()
	return time.Since(start)
}
