package manager

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// probe is a controller that reports, when it runs, whether its informer had synced and how
// many pods it saw.
type probe struct {
	pods    *informer.Informer[*corev1.Pod]
	started chan int
}

func (p *probe) Run(ctx context.Context) error {
	if !p.pods.HasSynced() {
		p.started <- -1
	} else {
		p.started <- len(p.pods.Lister().List())
	}
	<-ctx.Done()
	return nil
}

// TestRunBuildsSelectedOnOneFactory runs three registrations, one disabled: the enabled ones
// share one pod informer (one watch), start only after it synced, and stop with the context.
func TestRunBuildsSelectedOnOneFactory(t *testing.T) {
	srv := clienttest.Start(t, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "a", Namespace: "default"}})
	started := make(chan int, 3)
	var (
		mu    sync.Mutex
		built []string
	)
	reg := func(name string) Registration {
		return Registration{Name: name, New: func(ctx *Context) (Controller, error) {
			mu.Lock()
			built = append(built, name)
			mu.Unlock()
			ctx.Recorder(name + "-controller")
			return &probe{pods: informer.For[*corev1.Pod](ctx.Informers), started: started}, nil
		}}
	}
	cfg := DefaultConfig()
	cfg.Controllers = []string{"*", "-two"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Client: srv.Client(), Logger: zaptest.NewLogger(t), Config: cfg},
			[]Registration{reg("one"), reg("two"), reg("three")})
	}()
	for range 2 {
		select {
		case n := <-started:
			require.Equal(t, 1, n, "a controller runs only once its informers synced")
		case <-ctx.Done():
			t.Fatal("controllers did not start")
		}
	}
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []string{"one", "three"}, built)
	require.Empty(t, started, "the disabled controller never ran")
	require.Equal(t, 1, srv.Calls(clienttest.List, "pods"), "one informer serves every controller")
}

func TestRunFailsBeforeStartingOnConstructorError(t *testing.T) {
	srv := clienttest.Start(t)
	boom := errors.New("boom")
	err := Run(context.Background(), Options{Client: srv.Client(), Config: DefaultConfig()}, []Registration{
		{Name: "bad", New: func(*Context) (Controller, error) { return nil, boom }},
	})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "build controller bad")
	require.Zero(t, srv.Calls(clienttest.List, "pods")+srv.Calls(clienttest.Watch, "pods"), "nothing started")
}
