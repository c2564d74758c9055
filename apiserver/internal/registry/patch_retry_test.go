package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestPatchRetriesUntilTheDeadline checks that a patch pinning no resourceVersion is applied again
// after every lost race, however many, and that only the request's deadline ends the retries.
func TestPatchRetriesUntilTheDeadline(t *testing.T) {
	st := newConfigMaps(t)
	ctx := context.Background()

	t.Run("concurrent patches all apply", func(t *testing.T) {
		_, err := st.Create(ctx, "default", configMap("many", "v"), registry.CreateOptions{})
		require.NoError(t, err)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				patch := fmt.Sprintf(`{"data":{"key-%02d":"v"}}`, i)
				_, err := st.Patch(ctx, "default", "many", registry.PatchMerge, []byte(patch), registry.PatchOptions{})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		obj, err := st.Get(ctx, "default", "many", registry.GetOptions{})
		require.NoError(t, err)
		require.Len(t, obj.(*corev1.ConfigMap).GetData(), n+1, "every patch's key and the original one")
	})

	t.Run("more lost races than any fixed bound", func(t *testing.T) {
		_, err := st.Create(ctx, "default", configMap("contended", "v"), registry.CreateOptions{})
		require.NoError(t, err)
		calls := 0
		_, _, err = st.Modify(ctx, "default", "contended", registry.ModifyOptions{}, func(cur scheme.Object) (scheme.Object, error) {
			// Another writer gets in between read and write for the first 20 tries.
			if calls++; calls <= 20 {
				_, uerr := st.Update(ctx, "default", configMap("contended", fmt.Sprint(calls)), registry.UpdateOptions{})
				require.NoError(t, uerr)
			}
			cm := cur.(*corev1.ConfigMap)
			cm.Data["mine"] = "yes"
			return cm, nil
		})
		require.NoError(t, err)
		obj, err := st.Get(ctx, "default", "contended", registry.GetOptions{})
		require.NoError(t, err)
		require.Equal(t, map[string]string{"k": "20", "mine": "yes"}, obj.(*corev1.ConfigMap).GetData())
	})

	t.Run("the deadline ends the retries with Timeout", func(t *testing.T) {
		_, err := st.Create(ctx, "default", configMap("busy", "v"), registry.CreateOptions{})
		require.NoError(t, err)
		dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		calls := 0
		_, _, err = st.Modify(dctx, "default", "busy", registry.ModifyOptions{}, func(cur scheme.Object) (scheme.Object, error) {
			// Another writer always gets in between this read and the write.
			calls++
			_, uerr := st.Update(ctx, "default", configMap("busy", fmt.Sprint(calls)), registry.UpdateOptions{})
			require.NoError(t, uerr)
			cur.(*corev1.ConfigMap).Data = map[string]string{"k": "mine"}
			return cur, nil
		})
		require.True(t, apierrors.IsTimeout(err), "want Timeout, got %v", err)
		require.Greater(t, calls, 5, "retried past the old bound of 5")
	})
}
