package labels

import "testing"

func BenchmarkMatches(b *testing.B) {
	ls := Set{"app": "web", "tier": "frontend", "version": "3", "team": "payments", "env": "prod"}
	tests := []struct {
		name     string
		selector string
	}{
		{"equality", "app=web"},
		{"set based", "app=web,tier in (frontend,backend),!canary,env notin (dev,test),version>2"},
		{"miss early", "app=db,tier in (frontend)"},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			sel, err := Parse(tc.selector)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				sel.Matches(ls)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("app=web,tier in (frontend,backend),!canary,env notin (dev,test),version>2"); err != nil {
			b.Fatal(err)
		}
	}
}
