// Package clock abstracts time so that code which waits, times out or backs off can be driven by a
// fake in tests instead of by the wall clock.
//
// Components take a Clock in their constructors and use it for every Now, timer, ticker and
// AfterFunc. Production code passes RealClock{}; tests pass a *Fake and move time forward with Step
// or SetTime, using Waiters or BlockUntilWaiters to know that the code under test is blocked on the
// clock before they do. Nothing in this package sleeps on the wall clock.
package clock
