package testutil

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// MetricsSum sums the values of the series in the Prometheus metrics of
// the agent at httpAddr for which keep(name, labels) is true; labels is
// the text between the braces, "" when there are none.
func MetricsSum(t testing.TB, httpAddr string, keep func(name, labels string) bool) float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/v1/agent/metrics?format=prometheus")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		series := line[:i]
		name, labels, _ := strings.Cut(series, "{")
		if !keep(name, strings.TrimSuffix(labels, "}")) {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s: metrics line %q: %v", httpAddr, line, err)
		}
		sum += v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: reading metrics: %v", httpAddr, err)
	}
	return sum
}
