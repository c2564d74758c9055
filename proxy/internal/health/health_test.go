package health

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// fixed is a Status with set times.
type fixed struct{ last, pending time.Time }

func (f fixed) Health() (time.Time, time.Time) { return f.last, f.pending }

func TestHealthz(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		status   fixed
		wantCode int
		wantLast string
	}{
		{name: "never synced", status: fixed{}, wantCode: http.StatusServiceUnavailable},
		{name: "synced, nothing pending", status: fixed{last: now.Add(-time.Hour)}, wantCode: http.StatusOK, wantLast: "2026-12-07T05:00:00Z"},
		{name: "change pending briefly", status: fixed{last: now.Add(-time.Hour), pending: now.Add(-time.Second)}, wantCode: http.StatusOK, wantLast: "2026-12-07T05:00:00Z"},
		{name: "change stuck", status: fixed{last: now.Add(-time.Hour), pending: now.Add(-time.Minute)}, wantCode: http.StatusServiceUnavailable, wantLast: "2026-12-07T05:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(tt.status, clock.NewFake(now), 10*time.Second)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			require.Equal(t, tt.wantCode, rec.Code)
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var body map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			require.Equal(t, tt.wantLast, body["lastUpdated"])
			require.Equal(t, "2026-12-07T06:00:00Z", body["currentTime"])
			require.Equal(t, tt.wantCode == http.StatusOK, h.Healthy())
		})
	}
}
