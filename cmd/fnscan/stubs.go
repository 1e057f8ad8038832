package main

import (
	"context"
	"errors"
	"io"
)

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("scan: not wired yet")
}
func cmdSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("secrets: not wired yet")
}
func cmdDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("db: not wired yet")
}
