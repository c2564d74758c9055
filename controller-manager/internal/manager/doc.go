// Package manager is the frame every controller of keelson-controller-manager runs in: a
// Registration names a controller and its constructor, Select applies --controllers to the
// registrations, and Run builds the selected controllers on one shared Context and runs them.
//
// Every constructor registers its informers and handlers on the Context's one informer factory
// and returns a Controller without starting anything. Run starts the factory only after every
// constructor has returned, waits until every informer has synced, and only then starts the
// controllers' workers, so no controller acts on a partial cache.
package manager
