package labels

import (
	"fmt"
	"strings"
)

// Parse parses a selector in Kubernetes' string syntax (see the package documentation). The empty
// string selects everything. Errors quote the selector and name the token or key that is wrong,
// e.g. `invalid label selector "a in b": found 'b', expected: '('`.
func Parse(selector string) (Selector, error) {
	p := parser{toks: lex(selector)}
	reqs, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("invalid label selector %q: %w", selector, err)
	}
	return reqs.sorted(), nil
}

// parser is a recursive-descent parser over the tokens of one selector.
type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEnd {
		p.pos++
	}
	return t
}

// parse reads requirement ("," requirement)* end.
func (p *parser) parse() (requirements, error) {
	var reqs requirements
	if p.peek().kind == tokEnd {
		return reqs, nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
		switch t := p.next(); t.kind {
		case tokEnd:
			return reqs, nil
		case tokComma:
			if k := p.peek().kind; k != tokIdentifier && k != tokNot {
				return nil, fmt.Errorf("found '%s', expected: identifier after ','", p.peek().describe())
			}
		default:
			return nil, fmt.Errorf("found '%s', expected: ',' or 'end of string'", t.describe())
		}
	}
}

// requirement reads "!key", "key", or "key <operator> <values>".
func (p *parser) requirement() (Requirement, error) {
	negated := false
	if p.peek().kind == tokNot {
		p.next()
		negated = true
	}
	keyTok := p.next()
	if keyTok.kind != tokIdentifier {
		return Requirement{}, fmt.Errorf("found '%s', expected: identifier", keyTok.describe())
	}
	key := keyTok.text
	if k := p.peek().kind; negated || k == tokEnd || k == tokComma {
		op := Exists
		if negated {
			op = DoesNotExist
		}
		return newParsedRequirement(key, op, nil)
	}
	op, err := p.operator()
	if err != nil {
		return Requirement{}, err
	}
	var values []string
	if op == In || op == NotIn {
		values, err = p.valueSet()
	} else {
		values, err = p.exactValue()
	}
	if err != nil {
		return Requirement{}, err
	}
	return newParsedRequirement(key, op, values)
}

// newParsedRequirement is NewRequirement with the error prefixed as Kubernetes does.
func newParsedRequirement(key string, op Operator, values []string) (Requirement, error) {
	r, err := NewRequirement(key, op, values)
	if err != nil {
		return Requirement{}, fmt.Errorf("unable to parse requirement: %w", err)
	}
	return r, nil
}

func (p *parser) operator() (Operator, error) {
	t := p.next()
	switch t.kind {
	case tokEquals:
		return Equals, nil
	case tokDoubleEquals:
		return DoubleEquals, nil
	case tokNotEquals:
		return NotEquals, nil
	case tokGreater:
		return GreaterThan, nil
	case tokLess:
		return LessThan, nil
	case tokIdentifier:
		switch t.text {
		case "in":
			return In, nil
		case "notin":
			return NotIn, nil
		}
	}
	return "", fmt.Errorf("found '%s', expected: %s", t.describe(), strings.Join([]string{"in", "notin", "=", "==", "!=", "gt", "lt"}, ", "))
}

// exactValue reads the value after =, ==, !=, > or <; a missing value is the empty string.
func (p *parser) exactValue() ([]string, error) {
	switch t := p.peek(); t.kind {
	case tokEnd, tokComma:
		return []string{""}, nil
	case tokIdentifier:
		p.next()
		return []string{t.text}, nil
	default:
		return nil, fmt.Errorf("found '%s', expected: identifier", t.describe())
	}
}

// valueSet reads "(" values ")", where values are comma-separated and may be empty: "()" is the
// set {""} and "(a,,b)" is {a, "", b}, as in Kubernetes.
func (p *parser) valueSet() ([]string, error) {
	if t := p.next(); t.kind != tokOpenParen {
		return nil, fmt.Errorf("found '%s', expected: '('", t.describe())
	}
	var values []string
	expectValue := true
	for {
		t := p.next()
		switch t.kind {
		case tokIdentifier:
			if !expectValue {
				return nil, fmt.Errorf("found '%s', expected: ',' or ')'", t.describe())
			}
			values = append(values, t.text)
			expectValue = false
		case tokComma:
			if expectValue {
				values = append(values, "")
			}
			expectValue = true
		case tokCloseParen:
			if expectValue {
				values = append(values, "")
			}
			return values, nil
		default:
			return nil, fmt.Errorf("found '%s', expected: ',', ')' or identifier", t.describe())
		}
	}
}
