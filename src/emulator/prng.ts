export * from '../shared/prng';
