package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/parser"
	"github.com/hashicorp/hcl/hcl/scanner"
	"github.com/hashicorp/hcl/hcl/token"
)

// parseHCL decodes HCL1, the grammar of Consul's config files, with
// hashicorp/hcl v1 as Consul does. The grammar has literals, lists and
// objects only: no expressions, variables or functions. Several arguments
// may share a line (`ports { http = 8500 dns = 8600 }`), `key { ... }` and
// `key = { ... }` mean the same, heredocs (<<EOF) are strings, and block
// labels nest (`a "b" { ... }` is `a { b { ... } }`).
func parseHCL(src []byte, name string) (t tree, err error) {
	// The parser's literal conversions panic on some malformed input;
	// turn any such panic into an ordinary error for this source.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("config: %s: cannot parse HCL: %v", name, r)
		}
	}()
	file, err := parser.Parse(src)
	if err != nil {
		var pe *parser.PosError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("config: %s:%d:%d: %v", name, pe.Pos.Line, pe.Pos.Column, pe.Err)
		}
		return nil, fmt.Errorf("config: %s: %v", name, err)
	}
	if pos, ok := danglingAssign(src); ok {
		return nil, fmt.Errorf("config: %s:%d:%d: missing value after '='", name, pos.Line, pos.Column)
	}
	list, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, fmt.Errorf("config: %s: top level must be a list of settings", name)
	}
	t, err = hclObject(list)
	if err != nil {
		return nil, fmt.Errorf("config: %s:%w", name, err)
	}
	return t, nil
}

// ParseHCL decodes HCL source as the agent's config files are decoded,
// into plain maps, lists and values (numbers as json.Number), for other
// files in Consul's HCL such as config entries. name starts its errors.
func ParseHCL(src []byte, name string) (map[string]any, error) { return parseHCL(src, name) }

// danglingAssign finds a source that ends in "key =": the parser drops
// that last key without a word, which would hide a truncated file.
func danglingAssign(src []byte) (token.Pos, bool) {
	sc := scanner.New(src)
	var last token.Token
	for tok := sc.Scan(); tok.Type != token.EOF; tok = sc.Scan() {
		if tok.Type != token.COMMENT {
			last = tok
		}
	}
	return last.Pos, last.Type == token.ASSIGN
}

// hclObject turns the items of an object into one map. A key given more
// than once becomes a list of its values, in order, when every value is an
// object (repeated blocks, as Consul's services or checks); otherwise the
// last value wins. Errors start with ":line:col: " for parseHCL to prefix.
func hclObject(list *ast.ObjectList) (tree, error) {
	t := make(tree, len(list.Items))
	for _, item := range list.Items {
		if len(item.Keys) == 0 {
			continue // the parser never makes these
		}
		v, err := hclValue(item.Val)
		if err != nil {
			return nil, err
		}
		// `a "b" "c" { ... }` is a { b { c { ... } } }.
		for i := len(item.Keys) - 1; i > 0; i-- {
			v = map[string]any{hclKey(item.Keys[i]): v}
		}
		k := hclKey(item.Keys[0])
		prev, seen := t[k]
		if !seen {
			t[k] = v
			continue
		}
		if _, ok := v.(map[string]any); !ok {
			t[k] = v
			continue
		}
		switch p := prev.(type) {
		case map[string]any:
			t[k] = []any{p, v}
		case []any:
			if allObjects(p) {
				t[k] = append(p, v)
			} else {
				t[k] = v
			}
		default:
			t[k] = v
		}
	}
	return t, nil
}

// allObjects reports whether every element of list is an object.
func allObjects(list []any) bool {
	for _, e := range list {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// hclKey returns a key's text, unquoted if it was a string.
func hclKey(k *ast.ObjectKey) string {
	if k.Token.Type == token.STRING {
		if s, ok := k.Token.Value().(string); ok {
			return s
		}
	}
	return k.Token.Text
}

// hclValue converts one value node to a tree value.
func hclValue(n ast.Node) (any, error) {
	switch n := n.(type) {
	case *ast.ObjectType:
		return hclObject(n.List)
	case *ast.ListType:
		list := make([]any, 0, len(n.List))
		for _, e := range n.List {
			x, err := hclValue(e)
			if err != nil {
				return nil, err
			}
			list = append(list, x)
		}
		return list, nil
	case *ast.LiteralType:
		return hclLiteral(n.Token)
	}
	return nil, fmt.Errorf("%d:%d: unsupported value", n.Pos().Line, n.Pos().Column)
}

// hclLiteral converts a literal token. Numbers keep their exact value as
// a json.Number, as JSON's do; ones beyond int64 or float64 are refused
// here, where the parser itself would panic.
func hclLiteral(tok token.Token) (any, error) {
	bad := func(msg string) error { return fmt.Errorf("%d:%d: %s", tok.Pos.Line, tok.Pos.Column, msg) }
	switch tok.Type {
	case token.NUMBER:
		n, err := strconv.ParseInt(tok.Text, 0, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, bad("number out of range")
			}
			return nil, bad(fmt.Sprintf("invalid number %q", tok.Text))
		}
		return json.Number(strconv.FormatInt(n, 10)), nil
	case token.FLOAT:
		f, err := strconv.ParseFloat(tok.Text, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, bad("number out of range")
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case token.BOOL:
		return tok.Text == "true", nil
	case token.STRING, token.HEREDOC:
		return tok.Value(), nil
	}
	return nil, bad(fmt.Sprintf("unexpected %s", tok.Type))
}
