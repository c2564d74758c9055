package resource

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"500m", "128Mi", "1.5Gi", "123456789012345678901234567890"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	for _, s := range []string{"500m", "1536Mi", "1e30"} {
		q := MustParse(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = q.String()
			}
		})
	}
}

func BenchmarkListFits(b *testing.B) {
	node, err := ParseList(map[string]string{CPU: "64", Memory: "256Gi", Pods: "110", EphemeralStorage: "1Ti"})
	if err != nil {
		b.Fatal(err)
	}
	pod, err := ParseList(map[string]string{CPU: "250m", Memory: "512Mi"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !pod.Fits(node) {
			b.Fatal("does not fit")
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	x, y := MustParse("1.5Gi"), MustParse("250Mi")
	b.ReportAllocs()
	for b.Loop() {
		x = x.Add(y)
	}
}
