export * from './signature';
export * from './payload';
export * from './deliver';
