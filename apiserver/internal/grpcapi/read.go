package grpcapi

import (
	"context"

	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Get returns one object, or a workload's Scale.
func (s *Service) Get(ctx context.Context, req *resourcev1.GetRequest) (*resourcev1.GetResponse, error) {
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	var obj scheme.Object
	switch req.GetSubresource() {
	case "":
		obj, err = st.Get(ctx, req.GetNamespace(), req.GetName(), registry.GetOptions{ResourceVersion: req.GetResourceVersion()})
	case "scale":
		obj, err = st.GetScale(ctx, req.GetNamespace(), req.GetName())
	default:
		err = apierrors.NewMethodNotSupported(st.Kind().Group, st.Kind().Resource+"/"+req.GetSubresource(), "get")
	}
	if err != nil {
		return nil, err
	}
	a, err := pack(obj)
	if err != nil {
		return nil, err
	}
	return &resourcev1.GetResponse{Object: a}, nil
}

// List returns a page of objects.
func (s *Service) List(ctx context.Context, req *resourcev1.ListRequest) (*resourcev1.ListResponse, error) {
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	res, err := st.List(ctx, req.GetNamespace(), registry.ListOptions{
		LabelSelector:   req.GetLabelSelector(),
		FieldSelector:   req.GetFieldSelector(),
		Limit:           req.GetLimit(),
		Continue:        req.GetContinue(),
		ResourceVersion: req.GetResourceVersion(),
	})
	if err != nil {
		return nil, err
	}
	items := make([]*anypb.Any, len(res.Items))
	for i, obj := range res.Items {
		if items[i], err = pack(obj); err != nil {
			return nil, err
		}
	}
	return &resourcev1.ListResponse{
		Metadata: &metav1.ListMeta{ResourceVersion: res.ResourceVersion, Continue: res.Continue},
		Items:    items,
	}, nil
}

// Watch streams changes until the client goes away, the timeout passes, or the watch cache cuts
// the watcher off (the stream then ends cleanly and the client resumes from the last version it
// saw). A version too old to resume from fails with OUT_OF_RANGE.
func (s *Service) Watch(req *resourcev1.WatchRequest, stream resourcev1.ResourceService_WatchServer) error {
	st, err := s.store(req.GetResource())
	if err != nil {
		return err
	}
	ctx, cancel, err := registry.WatchContext(stream.Context(), req.GetTimeoutSeconds())
	if err != nil {
		return err
	}
	defer cancel()
	w, err := st.Watch(ctx, req.GetNamespace(), registry.WatchOptions{
		LabelSelector:     req.GetLabelSelector(),
		FieldSelector:     req.GetFieldSelector(),
		ResourceVersion:   req.GetResourceVersion(),
		AllowBookmarks:    req.GetAllowBookmarks(),
		SendInitialEvents: req.GetSendInitialEvents(),
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	// Headers tell the client the watch is registered; errors before this point come instead.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.registry.Draining():
			return apierrors.NewServiceUnavailable("the apiserver is shutting down")
		case e, ok := <-w.Events():
			if !ok {
				if err := w.Err(); err != nil {
					s.lg.Debug("watch ended by the server", zap.String("resource", st.Kind().GVR().String()), zap.Error(err))
				}
				return nil
			}
			a, err := e.Encoded()
			if err != nil {
				return err
			}
			if err := stream.Send(&resourcev1.WatchEvent{Type: string(e.Type), Object: a}); err != nil {
				return err
			}
		}
	}
}
