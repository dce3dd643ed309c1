package ecrsim

import "time"

// SetLatency adds d to every request from now on, as ecssim's does, so a
// benchmark can give every AWS endpoint the same delay.
func (s *Server) SetLatency(d time.Duration) { s.api.SetLatency(d) }
