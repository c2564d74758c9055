package registry

// Drain tells every stream the registry feeds that the server is shutting down: Draining is
// closed, so open watches (and followed logs) end and their clients resume against another
// replica. It is the server's one drain signal; calling it again does nothing.
func (r *Registry) Drain() { r.drain.Do(func() { close(r.draining) }) }

// Draining is closed once Drain has been called.
func (r *Registry) Draining() <-chan struct{} { return r.draining }
