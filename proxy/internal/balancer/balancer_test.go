package balancer

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

func TestNext(t *testing.T) {
	svc := ServicePort{Namespace: "ns", Name: "web"}
	type pick struct {
		step     time.Duration
		set      []string // when non-nil, replaces the endpoints before the pick
		clientIP string
		reset    bool
		want     string
	}
	tests := []struct {
		name     string
		initial  []string
		affinity Affinity
		picks    []pick
	}{
		{
			name: "round robin in sorted order", initial: []string{"127.0.0.3:80", "127.0.0.1:80", "127.0.0.2:80", "127.0.0.1:80"},
			picks: []pick{{want: "127.0.0.1:80"}, {want: "127.0.0.2:80"}, {want: "127.0.0.3:80"}, {want: "127.0.0.1:80"}},
		},
		{
			name: "a change starts again from the first", initial: []string{"127.0.0.1:80", "127.0.0.2:80"},
			picks: []pick{{want: "127.0.0.1:80"}, {set: []string{"127.0.0.2:80", "127.0.0.3:80"}, want: "127.0.0.2:80"}, {want: "127.0.0.3:80"}},
		},
		{
			name: "affinity holds until the timeout", initial: []string{"127.0.0.1:80", "127.0.0.2:80"},
			affinity: Affinity{ClientIP: true, Timeout: time.Minute},
			picks: []pick{
				{clientIP: "127.0.1.1", want: "127.0.0.1:80"},
				{clientIP: "127.0.1.1", step: 59 * time.Second, want: "127.0.0.1:80"},
				{clientIP: "127.0.1.2", want: "127.0.0.2:80"},
				{clientIP: "127.0.1.1", step: time.Minute, want: "127.0.0.1:80"},
				{clientIP: "127.0.1.2", want: "127.0.0.2:80"},
			},
		},
		{
			name: "a reset moves the client on", initial: []string{"127.0.0.1:80", "127.0.0.2:80"},
			affinity: Affinity{ClientIP: true, Timeout: time.Minute},
			picks: []pick{
				{clientIP: "127.0.1.1", want: "127.0.0.1:80"},
				{clientIP: "127.0.1.1", reset: true, want: "127.0.0.2:80"},
				{clientIP: "127.0.1.1", want: "127.0.0.2:80"},
			},
		},
		{
			name: "a session on a removed endpoint ends", initial: []string{"127.0.0.1:80", "127.0.0.2:80"},
			affinity: Affinity{ClientIP: true, Timeout: time.Minute},
			picks: []pick{
				{clientIP: "127.0.1.1", want: "127.0.0.1:80"},
				{clientIP: "127.0.1.1", set: []string{"127.0.0.2:80", "127.0.0.3:80"}, want: "127.0.0.2:80"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1_000_000, 0))
			b := New(clk)
			b.Set(svc, tt.initial, tt.affinity)
			for i, p := range tt.picks {
				clk.Step(p.step)
				if p.set != nil {
					b.Set(svc, p.set, tt.affinity)
				}
				got, err := b.Next(svc, p.clientIP, p.reset)
				require.NoError(t, err)
				require.Equal(t, p.want, got, "pick %d", i)
			}
		})
	}
}

func TestNextWithoutEndpoints(t *testing.T) {
	b := New(clock.RealClock{})
	svc := ServicePort{Namespace: "ns", Name: "web", Port: "http"}
	_, err := b.Next(svc, "", false)
	require.True(t, errors.Is(err, ErrNoEndpoints))
	require.ErrorContains(t, err, "ns/web:http")
	b.Set(svc, nil, Affinity{})
	_, err = b.Next(svc, "", false)
	require.True(t, errors.Is(err, ErrNoEndpoints))
}
