export * from '../common/prng';
