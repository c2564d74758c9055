package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/atomicfile"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TokenSource issues service account tokens (TokenRequest).
type TokenSource interface {
	CreateToken(ctx context.Context, namespace, serviceAccount string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error)
}

// ClientTokens requests tokens from the API server.
type ClientTokens struct{ Client *client.Client }

// CreateToken requests a token for the service account namespace/serviceAccount.
func (t ClientTokens) CreateToken(ctx context.Context, namespace, serviceAccount string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	return t.Client.ServiceAccounts(namespace).CreateToken(ctx, serviceAccount, tr)
}

// defaultTokenSeconds is a projected token's lifetime when its source names none.
const defaultTokenSeconds = 3600

// refreshFraction of a token's lifetime passes before the kubelet replaces it, as Kubernetes'
// token manager does.
const refreshFraction = 0.8

// projectedVolume is what the kubelet wrote of one projected volume of a pod.
type projectedVolume struct {
	dir string
	// refreshAt is when the volume's token is due for replacement; zero without a token.
	refreshAt time.Time
}

// volumes writes the projected volumes of pods (service account token, config maps, secrets,
// downward API) into directories under the volume root, which the runtime mounts into the
// containers, and replaces a token once 80% of its lifetime has passed. It is safe for concurrent
// use.
type volumes struct {
	m  *Manager
	mu sync.Mutex
	// written holds, by pod uid and volume name, what was written.
	written map[string]map[string]projectedVolume
}

// prepare writes pod's projected volumes where they are missing or their token is due, and
// returns the directory of each by volume name and how long until the next token is due (0: none).
func (v *volumes) prepare(ctx context.Context, pod *corev1.Pod) (map[string]string, time.Duration, error) {
	if v.m.cfg.VolumeRoot == "" {
		return nil, 0, nil
	}
	uid := pod.GetMetadata().GetUid()
	now := v.m.clock.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	seen := v.written[uid]
	if seen == nil {
		seen = map[string]projectedVolume{}
		v.written[uid] = seen
	}
	dirs := map[string]string{}
	var next time.Duration
	for _, vol := range pod.GetSpec().GetVolumes() {
		if vol.GetProjected() == nil {
			continue
		}
		name := vol.GetName()
		pv, ok := seen[name]
		if !ok || (!pv.refreshAt.IsZero() && !now.Before(pv.refreshAt)) {
			var err error
			if pv, err = v.write(ctx, pod, vol, now); err != nil {
				return nil, 0, fmt.Errorf("volume %q: %w", name, err)
			}
			seen[name] = pv
		}
		dirs[name] = pv.dir
		if !pv.refreshAt.IsZero() {
			if d := pv.refreshAt.Sub(now); next == 0 || d < next {
				next = max(d, time.Second)
			}
		}
	}
	return dirs, next, nil
}

// write writes every file of the projected volume vol of pod and returns what it wrote.
func (v *volumes) write(ctx context.Context, pod *corev1.Pod, vol *corev1.Volume, now time.Time) (projectedVolume, error) {
	dir := filepath.Join(v.m.cfg.VolumeRoot, pod.GetMetadata().GetUid(), "volumes", vol.GetName())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return projectedVolume{}, err
	}
	mode := os.FileMode(0o644)
	if m := vol.GetProjected().DefaultMode; m != nil {
		mode = os.FileMode(*m) & os.ModePerm
	}
	pv := projectedVolume{dir: dir}
	ns := pod.GetMetadata().GetNamespace()
	files := map[string]string{}
	for _, src := range vol.GetProjected().GetSources() {
		switch {
		case src.GetServiceAccountToken() != nil:
			tok, refreshAt, err := v.token(ctx, pod, src.GetServiceAccountToken(), now)
			if err != nil {
				return projectedVolume{}, err
			}
			files[src.GetServiceAccountToken().GetPath()] = tok
			pv.refreshAt = refreshAt
		case src.GetConfigMap() != nil:
			cm, err := v.m.configMap(ctx, ns, src.GetConfigMap().GetName())
			if err != nil {
				if src.GetConfigMap().GetOptional() && apierrors.IsNotFound(err) {
					continue
				}
				return projectedVolume{}, err
			}
			if err := project(files, cm.GetData(), src.GetConfigMap().GetItems(), src.GetConfigMap().GetOptional()); err != nil {
				return projectedVolume{}, fmt.Errorf("configmap %q: %w", src.GetConfigMap().GetName(), err)
			}
		case src.GetSecret() != nil:
			s, err := v.m.secret(ctx, ns, src.GetSecret().GetName())
			if err != nil {
				if src.GetSecret().GetOptional() && apierrors.IsNotFound(err) {
					continue
				}
				return projectedVolume{}, err
			}
			if err := project(files, secretData(s), src.GetSecret().GetItems(), src.GetSecret().GetOptional()); err != nil {
				return projectedVolume{}, fmt.Errorf("secret %q: %w", src.GetSecret().GetName(), err)
			}
		case src.GetDownwardApi() != nil:
			for _, item := range src.GetDownwardApi().GetItems() {
				if item.GetFieldRef() == nil {
					return projectedVolume{}, fmt.Errorf("downward API item %q: only fieldRef is supported", item.GetPath())
				}
				val, err := v.m.podField(pod, item.GetFieldRef().GetFieldPath(), "")
				if err != nil {
					return projectedVolume{}, err
				}
				files[item.GetPath()] = val
			}
		}
	}
	for path, content := range files {
		if err := writeAtomic(filepath.Join(dir, filepath.Clean("/"+path)), content, mode); err != nil {
			return projectedVolume{}, err
		}
	}
	return pv, nil
}

// token requests a token bound to pod for the source's audience and lifetime, and says when it is
// due for replacement.
func (v *volumes) token(ctx context.Context, pod *corev1.Pod, src *corev1.ServiceAccountTokenProjection, now time.Time) (string, time.Time, error) {
	if v.m.cfg.Tokens == nil {
		return "", time.Time{}, fmt.Errorf("service account token: %w", errNoObjects)
	}
	seconds := src.GetExpirationSeconds()
	if src.ExpirationSeconds == nil {
		seconds = defaultTokenSeconds
	}
	spec := &authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &seconds,
		BoundObjectRef: &authenticationv1.BoundObjectReference{
			Kind: "Pod", ApiVersion: "v1", Name: pod.GetMetadata().GetName(), Uid: pod.GetMetadata().GetUid(),
		},
	}
	if a := src.GetAudience(); a != "" {
		spec.Audiences = []string{a}
	}
	sa := pod.GetSpec().GetServiceAccountName()
	if sa == "" {
		sa = "default"
	}
	out, err := v.m.cfg.Tokens.CreateToken(ctx, pod.GetMetadata().GetNamespace(), sa, &authenticationv1.TokenRequest{Spec: spec})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("request a token for service account %q: %w", sa, err)
	}
	exp := out.GetStatus().GetExpirationTimestamp().AsTime()
	if out.GetStatus().GetExpirationTimestamp() == nil || !exp.After(now) {
		exp = now.Add(time.Duration(seconds) * time.Second)
	}
	return out.GetStatus().GetToken(), now.Add(time.Duration(float64(exp.Sub(now)) * refreshFraction)), nil
}

// forget removes what was written for the pod uid.
func (v *volumes) forget(uid string) error {
	v.mu.Lock()
	delete(v.written, uid)
	v.mu.Unlock()
	if v.m.cfg.VolumeRoot == "" || uid == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(v.m.cfg.VolumeRoot, uid))
}

// project adds data's keys (or the items named) to files by path.
func project(files, data map[string]string, items []*corev1.KeyToPath, optional bool) error {
	if len(items) == 0 {
		for k, val := range data {
			files[k] = val
		}
		return nil
	}
	for _, it := range items {
		val, ok := data[it.GetKey()]
		if !ok {
			if optional {
				continue
			}
			return fmt.Errorf("key %q not found", it.GetKey())
		}
		files[it.GetPath()] = val
	}
	return nil
}

// writeAtomic replaces the file at path with content, so a reader sees the old or the new file.
func writeAtomic(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(content), mode)
}

// containerMounts returns the mounts of c's volume mounts whose volume the kubelet wrote.
func containerMounts(c *corev1.Container, dirs map[string]string) []cri.Mount {
	var out []cri.Mount
	for _, vm := range c.GetVolumeMounts() {
		if dir, ok := dirs[vm.GetName()]; ok {
			out = append(out, cri.Mount{HostPath: filepath.Join(dir, vm.GetSubPath()), ContainerPath: vm.GetMountPath(), ReadOnly: vm.GetReadOnly()})
		}
	}
	return out
}
