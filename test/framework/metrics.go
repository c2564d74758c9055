package framework

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ScrapeMetrics reads the Prometheus text exposition at http://addr/metrics and returns every
// sample by its name with labels as printed (`scheduler_leader`,
// `scheduler_schedule_attempts_total{result="scheduled"}`). It fails the test if the endpoint
// cannot be read.
func ScrapeMetrics(tb testing.TB, addr string) map[string]float64 {
	tb.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatalf("scrape %s: %v", addr, err)
	}
	defer func() { _ = resp.Body.Close() }() // a read-only body; closing it cannot lose anything
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("scrape %s: %s", addr, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("scrape %s: %v", addr, err)
	}
	return out
}
