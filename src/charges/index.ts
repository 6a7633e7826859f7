export { ChargeBatcher, type ChargeInput } from './batcher.js';
