// Package layout holds tests of the code base's shape: every package has a
// package doc, and packages import only the packages the layout allows
// (see the table in layout_test.go).
package layout
