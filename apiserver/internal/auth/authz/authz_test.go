package authz

import (
	"context"
	"errors"
	"testing"
)

func fixed(d Decision, err error) Authorizer {
	return Func(func(context.Context, Attributes) (Decision, string, error) { return d, "", err })
}

func TestUnion(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		chain   []Authorizer
		want    Decision
		wantErr bool
	}{
		{"empty", nil, NoOpinion, false},
		{"first decides", []Authorizer{fixed(Deny, nil), fixed(Allow, nil)}, Deny, false},
		{"no opinion passes on", []Authorizer{fixed(NoOpinion, nil), fixed(Allow, nil)}, Allow, false},
		{"an error passes on", []Authorizer{fixed(NoOpinion, boom), fixed(Allow, nil)}, Allow, false},
		{"an error without a decision", []Authorizer{fixed(NoOpinion, boom), fixed(NoOpinion, nil)}, NoOpinion, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _, err := Union(tc.chain...).Authorize(context.Background(), Attributes{})
			if d != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Union = %v, %v; want %v, error %v", d, err, tc.want, tc.wantErr)
			}
		})
	}
}
