package podsource

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// maxManifestBytes bounds a manifest read from a URL or a request.
const maxManifestBytes = 10 << 20

// URLSource polls a manifest URL for static pods every interval (--manifest-url,
// --http-check-frequency), sending the given headers (--manifest-url-header). When the URL cannot
// be read the pods last read stay: an unreachable server must not stop running pods.
type URLSource struct {
	url      string
	header   http.Header
	interval time.Duration
	http     *http.Client
	scheme   *scheme.Scheme
	out      Setter
	report   Reporter
	clock    clock.Clock
	lg       *zap.Logger
	stamper  *stamper
	last     []byte
}

// NewURLSource returns a source of the manifests at url for node nodeName that sets its pods on
// out under KeyURL.
func NewURLSource(url string, header http.Header, interval time.Duration, nodeName string, sch *scheme.Scheme, out Setter, report Reporter, clk clock.Clock, lg *zap.Logger) *URLSource {
	if interval <= 0 {
		interval = DefaultCheckFrequency
	}
	return &URLSource{
		url: url, header: header, interval: interval, http: &http.Client{Timeout: 10 * time.Second},
		scheme: sch, out: out, report: report, clock: clk, lg: lg, stamper: newStamper(SourceHTTP, nodeName, clk.Now),
	}
}

// Run polls at once and then every interval until ctx ends; it returns nil then.
func (s *URLSource) Run(ctx context.Context) error {
	tick := s.clock.NewTicker(s.interval)
	defer tick.Stop()
	for {
		if err := s.poll(ctx); err != nil && ctx.Err() == nil {
			s.lg.Warn("read manifest URL", zap.String("url", s.url), zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		}
	}
}

func (s *URLSource) poll(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	defer func() { _ = resp.Body.Close() }() // a read-only body's close error says nothing new
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if s.last != nil && bytes.Equal(data, s.last) {
		return nil
	}
	s.last = data
	decoded, errs := DecodeManifests(s.scheme, data)
	for _, err := range errs {
		s.report.BadManifest(s.url, err)
	}
	pods := s.stamper.stamp(decoded)
	s.stamper.forgetExcept(pods)
	s.out.Set(KeyURL, pods)
	return nil
}
