// The local Step Functions endpoint lives with the emulator (npm run deploy:local uses it too).
export * from '../../lib/emulator/local-stepfunctions';
