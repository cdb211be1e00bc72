package ops

import (
	"testing"
)

// TestSampleProportional: allocate = "proportional" takes n in total,
// shared by the strata in proportion to their size (largest remainder),
// so the count is exact and every stratum keeps its share; a unit's fate
// does not depend on the batch size.
func TestSampleProportional(t *testing.T) {
	mem := checked()
	defer mem.AssertSize(t, 0)
	rec := groupRows(t, mem, 300) // cat a: rows 0..299 with i%3 == 0 ...
	defer rec.Release()
	// Strata sizes in rows.
	size := map[string]int{}
	for i := 0; i < 300; i++ {
		size[[]string{"a", "b", "c"}[((i*i/7)%40)%3]]++
	}
	body := "n = 50\n  seed = 9\n  stratify = cat\n  allocate = \"proportional\""
	got, err := sampleOf(t, mem, body, rec, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("n = 50 proportional kept %d rows", len(got))
	}
	per := map[string]int{}
	for _, i := range got {
		per[[]string{"a", "b", "c"}[((i*i/7)%40)%3]]++
	}
	for k, n := range size {
		exact := float64(50*n) / 300
		if d := float64(per[k]) - exact; d <= -1 || d >= 1 {
			t.Errorf("stratum %s: %d rows, want within 1 of %.2f (sizes %v)", k, per[k], exact, size)
		}
	}
	small, err := sampleOf(t, mem, body, rec, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(small) != len(got) {
		t.Fatalf("batch size 7: %d rows, 4096: %d", len(small), len(got))
	}
	for i := range got {
		if got[i] != small[i] {
			t.Fatalf("batch size changed the sample at %d: %d vs %d", i, small[i], got[i])
		}
	}
	// Groups: n counts conversations.
	byConv, err := sampleOf(t, mem, "n = 20\n  seed = 9\n  stratify = cat\n  by = conv\n  allocate = \"proportional\"", rec, 4096)
	if err != nil {
		t.Fatal(err)
	}
	convs := map[int]bool{}
	for _, i := range byConv {
		convs[(i*i/7)%40] = true
	}
	if _, err := sampleOf(t, mem, "n = 29\n  seed = 9\n  stratify = cat\n  by = conv\n  allocate = \"proportional\"", rec, 4096); err == nil {
		t.Errorf("n = 29 of 28 groups: no error")
	}
	if len(convs) != 20 {
		t.Errorf("by conv, n = 20: %d conversations", len(convs))
	}
}

func TestSampleAllocateErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"n = 5\n  seed = 1\n  allocate = \"proportional\"", "set stratify"},
		{"fraction = 0.5\n  seed = 1\n  stratify = cat\n  allocate = \"proportional\"", "Set n"},
		{"n = 5\n  seed = 1\n  stratify = cat\n  allocate = \"most\"", `not "most"`},
	} {
		_, diags := newOp(t, "sample \"t\" {\n  input = fetch.in\n  "+tc.body+"\n}\n", "sample.t", nil, nil)
		wantDiag(t, diags, tc.want)
	}
}
