export * from '../../common/prng';
