// The sandbox: a payment provider for trying Coffer and for tests, complete with its own checkout and
// crypto pages, a payer that acts on them, and webhook deliveries to Coffer over HTTP like a real
// provider's. It talks to the rest of Coffer only through the provider contract and its webhooks.
export { SandboxProvider, recordSandboxEvent, SANDBOX_TOLERANCE_SECONDS } from './provider.js';
export { SandboxDelivery } from './delivery.js';
export { sandboxRoutes, type SandboxRouteDeps } from './routes.js';
export { sandboxAddress } from './addresses.js';
