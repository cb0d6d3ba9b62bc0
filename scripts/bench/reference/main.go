// Command reference is the bench's yardstick: a bare Fiber v2 app whose one
// route returns a fixed small JSON object. It listens on 127.0.0.1 at the
// port given (0: a free one) and prints "listening http://ADDR".
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
)

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok", "service": "reference"})
	})
	fmt.Println("listening http://" + ln.Addr().String())
	if err := app.Listener(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
