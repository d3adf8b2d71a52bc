/**
 * The session API from code: a SigV4-signing client, a signing `fetch` for
 * other clients (the official `openai` package), and records-management
 * transcripts.
 */
export * from './api-error';
export * from './invoke-url';
export * from './server-sent-events';
export * from './session-api-types';
export * from './signed-fetch';
export * from './sigv4';
export * from './statehouse-client';
export * from './transcript';
