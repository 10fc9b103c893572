export * from './clock';
export * from './endpoint-control';
export * from './metrics-source';
export * from './model-registry';
export * from './notifier';
export * from './deployment-metrics';
export * from './prices';
