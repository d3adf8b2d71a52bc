/** Time as a port, so the domain never reads the system clock itself. */
export interface Clock {
  now(): Date;
}
